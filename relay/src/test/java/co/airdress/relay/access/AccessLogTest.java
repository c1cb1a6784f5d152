package co.airdress.relay.access;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.Operator;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.listen.Listener;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class AccessLogTest {

    @Test
    void writesOneJsonObjectWithEveryField() {
        ConnectionRecord r = new ConnectionRecord(Listener.TLS, new InetSocketAddress("2001:db8::5", 443), 1_000_000_000L, 0);
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
}
