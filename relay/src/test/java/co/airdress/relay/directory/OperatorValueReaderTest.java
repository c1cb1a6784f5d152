package co.airdress.relay.directory;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.Operator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link OperatorValueReader}, the quick path of a record's value, against the tree parser it
 * stands in for ({@link DirectoryRecord#parse}): what it reads is what the tree parser reads, and
 * it leaves everything else to it. The fuzz target {@code OperatorValueFuzzTest} checks the first
 * property on generated values.
 */
class OperatorValueReaderTest {

    private static final String KEY = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

    /** Values the quick path reads: what a PoP writes, and the other forms the log may hold. */
    static List<String> wellFormed() {
        return List.of(
                """
                {"name":"alice","hosts":["alice.a.airdr.es","*.alice.a.airdr.es"],\
                "upstream":{"http":"10.0.0.1:8080"},"proxy_protocol":"v2"}""",
                """
                {"hosts":["alice.example.com"],"upstream":{"http":"10.0.0.1:80","tls":"[fd00::1]:443"}}""",
                """
                {"proxy_protocol":"none","upstream":{"tls":"192.0.2.7:443"},"hosts":["x.example.com"],"name":"alice"}""",
                """
                {"name":"alice","hosts":["alice.example.com"],"proxy_protocol":"v1",\
                "wireguard":{"public_key":"%s","address":"100.64.0.2"}}""".formatted(KEY),
                """
                {"name":"alice","hosts":["alice.example.com"],\
                "wireguard":{"address":"fd00:64::2","public_key":"%s","ports":{"http":8080}}}""".formatted(KEY),
                """
                {"name":"alice","hosts":["xn--bcher-kva.example"],\
                "wireguard":{"public_key":"%s","address":"100.64.0.2","ports":{"tls":8443,"http":8080}}}""".formatted(KEY),
                " \n{\"hosts\":[\"alice.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\"}}\n ");
    }

    /** Values the quick path leaves to the tree parser: invalid, or valid in a form it does not read. */
    static List<String> leftToTheTree() {
        return List.of(
                // invalid
                "",
                "not json",
                "[]",
                "null",
                "{}",
                "{\"hosts\":[],\"upstream\":{\"http\":\"10.0.0.1:80\"}}",
                "{\"hosts\":[\"alice.example.com\"]}",
                "{\"hosts\":[\"alice.example.com\"],\"upstream\":{}}",
                "{\"hosts\":[\"alice.example.com\"],\"upstream\":{\"http\":\"example.com:80\"}}",
                "{\"hosts\":[\"alice.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:0\"}}",
                "{\"hosts\":[\"alice.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\",\"ftp\":\"10.0.0.1:21\"}}",
                "{\"hosts\":[\"a_b.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\"}}",
                "{\"hosts\":[\"*.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\"}}",
                "{\"hosts\":[\"a.*.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\"}}",
                "{\"hosts\":[7],\"upstream\":{\"http\":\"10.0.0.1:80\"}}",
                "{\"hosts\":\"alice.example.com\",\"upstream\":{\"http\":\"10.0.0.1:80\"}}",
                "{\"hosts\":[\"alice.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\"},\"proxy_protocol\":\"v3\"}",
                "{\"hosts\":[\"alice.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\"},\"extra\":1}",
                "{\"name\":\"bob\",\"hosts\":[\"alice.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\"}}",
                "{\"name\":7,\"hosts\":[\"alice.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\"}}",
                "{\"hosts\":[\"alice.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\"}} {}",
                "{\"hosts\":[\"alice.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\"}",
                ("{\"hosts\":[\"alice.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\"},"
                                + "\"wireguard\":{\"public_key\":\"%s\",\"address\":\"100.64.0.2\"}}")
                        .formatted(KEY),
                "{\"hosts\":[\"alice.example.com\"],\"wireguard\":{\"public_key\":\"short\",\"address\":\"100.64.0.2\"}}",
                "{\"hosts\":[\"alice.example.com\"],\"wireguard\":{\"public_key\":\"%s\",\"address\":\"100.64.0.2/32\"}}"
                        .formatted(KEY),
                "{\"hosts\":[\"alice.example.com\"],\"wireguard\":{\"public_key\":\"%s\"}}".formatted(KEY),
                "{\"hosts\":[\"alice.example.com\"],\"wireguard\":{\"public_key\":\"%s\",\"address\":\"100.64.0.2\",\"ports\":{\"http\":0}}}"
                        .formatted(KEY),
                "{\"hosts\":[\"alice.example.com\"],\"wireguard\":{\"public_key\":\"%s\",\"address\":\"100.64.0.2\",\"ports\":{\"http\":80.0}}}"
                        .formatted(KEY),
                "{\"hosts\":[\"alice.example.com\"],\"wireguard\":{\"public_key\":\"%s\",\"address\":\"100.64.0.2\",\"ports\":{\"http\":99999999999}}}"
                        .formatted(KEY),
                // valid, in forms the quick path does not read
                "{\"name\":null,\"hosts\":[\"alice.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\"}}",
                "{\"hosts\":[\"alice.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\"},\"wireguard\":null}",
                "{\"hosts\":[\"alice.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\",\"tls\":null}}",
                "{\"hosts\":[\"Alice.Example.com.\"],\"upstream\":{\"http\":\"10.0.0.1:80\"}}",
                "{\"hosts\":[\"alice.example.com\",\"alice.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\"}}",
                "{\"hosts\":[\"alice.example.com\"],\"hosts\":[\"bob.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\"}}",
                "{\"hosts\":[\"alice.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\",\"http\":\"10.0.0.2:80\"}}");
    }

    @Test
    void readsAnOperatorOfManyHostsAndLeavesOneWithARepeatedHostToTheTreeParser() {
        StringBuilder hosts = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            hosts.append(i == 0 ? "" : ",").append("\"h").append(i).append(".example.com\"");
        }
        String many = "{\"hosts\":[" + hosts + "],\"upstream\":{\"http\":\"10.0.0.1:80\"}}";
        byte[] bytes = many.getBytes(StandardCharsets.UTF_8);
        Operator quick = OperatorValueReader.read(bytes, "alice");
        assertThat(quick).isNotNull();
        assertThat(quick.hosts()).hasSize(20_000);
        assertThat(DirectoryRecord.parse(bytes, "alice")).isEqualTo(new DirectoryRecord.Decoded.Put(quick));

        String repeated = "{\"hosts\":[" + hosts + ",\"h9.example.com\"],\"upstream\":{\"http\":\"10.0.0.1:80\"}}";
        assertThat(OperatorValueReader.read(repeated.getBytes(StandardCharsets.UTF_8), "alice"))
                .isNull();
        String early = "{\"hosts\":[\"a.example.com\",\"b.example.com\",\"a.example.com\"],"
                + "\"upstream\":{\"http\":\"10.0.0.1:80\"}}";
        assertThat(OperatorValueReader.read(early.getBytes(StandardCharsets.UTF_8), "alice"))
                .isNull();
    }

    @ParameterizedTest
    @MethodSource("wellFormed")
    void readsAWellFormedValueToTheOperatorTheTreeParserReads(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        Operator quick = OperatorValueReader.read(bytes, "alice");
        assertThat(quick).isNotNull();
        assertThat(DirectoryRecord.parse(bytes, "alice")).isEqualTo(new DirectoryRecord.Decoded.Put(quick));
    }

    @ParameterizedTest
    @MethodSource("leftToTheTree")
    void leavesEverythingElseToTheTreeParser(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        assertThat(OperatorValueReader.read(bytes, "alice")).isNull();
        // and the record still decodes as the tree parser says, messages included
        DirectoryRecord record = new DirectoryRecord(0, "alice".getBytes(StandardCharsets.UTF_8), bytes, null, null);
        assertThat(record.decode()).isEqualTo(DirectoryRecord.parse(bytes, "alice"));
    }
}
