package co.airdress.relay.tunnel.replay;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The sequence of wireguard-go replay/replay_test.go (MIT), itself ported from the Linux kernel. */
class ReplayWindowTest {

    private static final long T_LIM = ReplayWindow.WINDOW_SIZE + 1;
    private static final long REJECT = ReplayWindow.REJECT_AFTER_MESSAGES;

    private final ReplayWindow filter = new ReplayWindow();

    private void t(long n, boolean expected) {
        assertThat(filter.accept(n)).as("counter %s", Long.toUnsignedString(n)).isEqualTo(expected);
    }

    @Test
    void kernelSequence() {
        t(0, true);
        t(1, true);
        t(1, false);
        t(9, true);
        t(8, true);
        t(7, true);
        t(7, false);
        t(T_LIM, true);
        t(T_LIM - 1, true);
        t(T_LIM - 1, false);
        t(T_LIM - 2, true);
        t(2, true);
        t(2, false);
        t(T_LIM + 16, true);
        t(3, false);
        t(T_LIM + 16, false);
        t(T_LIM * 4, true);
        t(T_LIM * 4 - (T_LIM - 1), true);
        t(10, false);
        t(T_LIM * 4 - T_LIM, false);
        t(T_LIM * 4 - (T_LIM + 1), false);
        t(T_LIM * 4 - (T_LIM - 2), true);
        t(T_LIM * 4 + 1 - T_LIM, false);
        t(0, false);
        t(REJECT, false);
        t(REJECT - 1, true);
        t(REJECT, false);
        t(REJECT - 1, false);
        t(REJECT - 2, true);
        t(REJECT + 1, false);
        t(REJECT + 2, false);
        t(REJECT - 2, false);
        t(REJECT - 3, true);
        t(0, false);
    }

    @Test
    void bulk1() {
        for (long i = 1; i <= ReplayWindow.WINDOW_SIZE; i++) {
            t(i, true);
        }
        t(0, true);
        t(0, false);
    }

    @Test
    void bulk2() {
        for (long i = 2; i <= ReplayWindow.WINDOW_SIZE + 1; i++) {
            t(i, true);
        }
        t(1, true);
        t(0, false);
    }

    @Test
    void bulk3() {
        for (long i = ReplayWindow.WINDOW_SIZE + 1; i > 0; i--) {
            t(i, true);
        }
    }

    @Test
    void bulk4() {
        for (long i = ReplayWindow.WINDOW_SIZE + 2; i > 1; i--) {
            t(i, true);
        }
        t(0, false);
    }

    @Test
    void bulk5() {
        for (long i = ReplayWindow.WINDOW_SIZE; i > 0; i--) {
            t(i, true);
        }
        t(ReplayWindow.WINDOW_SIZE + 1, true);
        t(0, false);
    }

    @Test
    void bulk6() {
        for (long i = ReplayWindow.WINDOW_SIZE; i > 0; i--) {
            t(i, true);
        }
        t(0, true);
        t(ReplayWindow.WINDOW_SIZE + 1, true);
    }
}
