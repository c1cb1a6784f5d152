package co.airdress.relay.listen;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TransportTest {

    private String transport;
    private String multishot;

    @BeforeEach
    void saveProperties() {
        transport = System.getProperty(Transport.PROPERTY);
        multishot = System.getProperty(Transport.MULTISHOT_POLL);
    }

    @AfterEach
    void restoreProperties() {
        restore(Transport.PROPERTY, transport);
        restore(Transport.MULTISHOT_POLL, multishot);
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    @Test
    void ioUringTurnsMultishotPollOffSinceItStallsWithAutoReadOff() {
        System.setProperty(Transport.PROPERTY, "io_uring");
        System.clearProperty(Transport.MULTISHOT_POLL);

        Transport.select();

        assertThat(System.getProperty(Transport.MULTISHOT_POLL)).isEqualTo("false");
    }

    @Test
    void anExplicitMultishotSettingWins() {
        System.setProperty(Transport.PROPERTY, "io_uring");
        System.setProperty(Transport.MULTISHOT_POLL, "true");

        Transport.select();

        assertThat(System.getProperty(Transport.MULTISHOT_POLL)).isEqualTo("true");
    }

    @Test
    void theDefaultIsIoUringWithMultishotPollOff() {
        System.clearProperty(Transport.PROPERTY);
        System.clearProperty(Transport.MULTISHOT_POLL);

        // This kernel allows io_uring (CI's too); where one does not, select() falls back to epoll.
        assertThat(Transport.select()).isEqualTo(Transport.IO_URING);
        assertThat(System.getProperty(Transport.MULTISHOT_POLL)).isEqualTo("false");
    }

    @Test
    void epollAndNioCanBeAskedFor() {
        System.setProperty(Transport.PROPERTY, "epoll");
        assertThat(Transport.select()).isEqualTo(Transport.EPOLL);

        System.setProperty(Transport.PROPERTY, "nio");
        assertThat(Transport.select()).isEqualTo(Transport.NIO);
    }
}
