package co.airdress.relay.management;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ConnectionRatesTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void noRateBeforeTwoSamples() {
        ConnectionRates rates = new ConnectionRates(2);
        assertThat(rates.acceptedPerSecond(0)).isZero();
        rates.sample(0, new long[] {5, 5}, new long[] {1, 1});
        assertThat(rates.acceptedPerSecond(0)).isZero();
        assertThat(rates.refusedPerSecond(1)).isZero();
    }

    @Test
    void ratesAreTheDifferenceOverTheWindowPerListener() {
        ConnectionRates rates = new ConnectionRates(2);
        rates.sample(0, new long[] {0, 100}, new long[] {0, 0});
        rates.sample(2 * SECOND, new long[] {10, 100}, new long[] {4, 0});
        assertThat(rates.acceptedPerSecond(0)).isEqualTo(5.0);
        assertThat(rates.refusedPerSecond(0)).isEqualTo(2.0);
        assertThat(rates.acceptedPerSecond(1)).isZero();
    }

    @Test
    void onlyTheLastWindowCounts() {
        ConnectionRates rates = new ConnectionRates(1);
        // A burst of 1000 in the first second, then one per second.
        rates.sample(0, new long[] {0}, new long[] {0});
        long n = 1000;
        for (int i = 1; i <= ConnectionRates.WINDOW + 5; i++) {
            rates.sample(i * SECOND, new long[] {n}, new long[] {0});
            n++;
        }
        assertThat(rates.acceptedPerSecond(0)).isEqualTo(1.0);
    }

    @Test
    void aSampleOfTheWrongShapeIsRefused() {
        ConnectionRates rates = new ConnectionRates(2);
        assertThatThrownBy(() -> rates.sample(0, new long[] {1}, new long[] {1, 2}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("counters: 1/2 (expected: 2 each)");
    }
}
