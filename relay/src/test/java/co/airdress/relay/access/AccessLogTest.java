package co.airdress.relay.access;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.Operator;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.listen.Listener;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class AccessLogTest {

    @Test
    void writesOneJsonObjectWithEveryField() {
        ConnectionRecord r =
                new ConnectionRecord(Listener.TLS, new InetSocketAddress("2001:db8::5", 443), 1_000_000_000L, 0);
        r.peeked("alice.example.test", List.of("h2", "http/1.1"));
        r.operator(new Operator("alice", List.of("alice.example.test"), null, ProxyProtocol.NONE));
        r.outcome(Outcome.RELAYED);
        r.addClientToUpstream(517);
        r.addUpstreamToClient(4096);
        JsonNode json = JsonMapper.shared().readTree(new AccessLog("ams1").line(r, 3_500_000_000L));
        assertThat(json.get("time").stringValue()).isEqualTo("1970-01-01T00:00:00Z");
        assertThat(json.get("pop").stringValue()).isEqualTo("ams1");
        assertThat(json.get("listener").stringValue()).isEqualTo("tls");
        assertThat(json.get("client").stringValue()).isEqualTo("[2001:db8:0:0:0:0:0:5]:443");
        assertThat(json.get("host").stringValue()).isEqualTo("alice.example.test");
        assertThat(json.get("alpn").stringValue()).isEqualTo("h2,http/1.1");
        assertThat(json.get("operator").stringValue()).isEqualTo("alice");
        assertThat(json.get("outcome").stringValue()).isEqualTo("relayed");
        assertThat(json.get("bytes_in").longValue()).isEqualTo(517);
        assertThat(json.get("bytes_out").longValue()).isEqualTo(4096);
        assertThat(json.get("duration_ms").longValue()).isEqualTo(2500);
    }

    @Test
    void unknownFieldsAreNullAndTheFirstOutcomeStays() {
        ConnectionRecord r = new ConnectionRecord(Listener.HTTP, new InetSocketAddress("192.0.2.1", 9), 0, 0);
        r.outcome(Outcome.UNKNOWN_HOST);
        r.outcome(Outcome.CLOSED);
        r.endedBy(Outcome.IDLE_TIMEOUT);
        JsonNode json = JsonMapper.shared().readTree(new AccessLog("p").line(r, 0));
        assertThat(json.get("host").isNull()).isTrue();
        assertThat(json.get("operator").isNull()).isTrue();
        assertThat(json.get("outcome").stringValue()).isEqualTo("unknown_host");
        assertThat(json.get("client").stringValue()).isEqualTo("192.0.2.1:9");
    }

    @Test
    void timeIsWhatInstantPrints() {
        long[] edges = {
            0,
            1,
            999,
            1000,
            -1,
            -1000,
            -1001,
            951_782_400_000L /* 2000-02-29 */,
            4_107_542_400_000L /* 2100-03-01 */,
            1_795_231_771_123L,
            253_402_300_799_999L /* 9999-12-31T23:59:59.999 */,
            253_402_300_800_000L /* year 10000 */,
            -62_167_219_200_000L /* 0000-01-01 */,
            -62_167_219_200_001L /* year -1 */,
            Long.MAX_VALUE / 1000
        };
        for (long millis : edges) {
            assertThat(formatted(millis))
                    .as("millis %d", millis)
                    .isEqualTo(Instant.ofEpochMilli(millis).toString());
        }
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 100_000; i++) {
            long millis = random.nextLong(-62_167_219_200_000L, 253_402_300_800_000L);
            if (i % 3 == 0) {
                millis -= Math.floorMod(millis, 1000); // whole seconds: no fraction printed
            }
            assertThat(formatted(millis))
                    .as("millis %d", millis)
                    .isEqualTo(Instant.ofEpochMilli(millis).toString());
        }
    }

    private static String formatted(long millis) {
        StringBuilder b = new StringBuilder();
        AccessLog.appendInstant(b, millis);
        return b.toString();
    }
}
