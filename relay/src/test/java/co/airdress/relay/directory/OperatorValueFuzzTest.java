package co.airdress.relay.directory;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.config.Operator;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Jazzer target for {@link OperatorValueReader}: whatever it reads, the tree parser
 * ({@link DirectoryRecord#parse}) reads to the same operator; nothing throws. In the normal test
 * run it replays the regression inputs under
 * {@code src/test/resources/co/airdress/relay/directory/OperatorValueFuzzTestInputs/read/}; with
 * {@code JAZZER_FUZZ=1} it fuzzes. Half the inputs are raw bytes; the other half a value built
 * from fuzzed pieces in the shape of an operator, so that the fuzzer reaches the checks of each
 * field rather than stopping at the JSON syntax.
 */
class OperatorValueFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void read(FuzzedDataProvider data) {
        String name = data.pickValue(new String[] {"alice", "bob", "a-1"});
        byte[] value =
                data.consumeBoolean() ? shaped(data).getBytes(StandardCharsets.UTF_8) : data.consumeRemainingAsBytes();
        Operator quick = OperatorValueReader.read(value, name);
        DirectoryRecord.Decoded tree = DirectoryRecord.parse(value, name);
        if (quick != null) {
            assertThat(tree).isEqualTo(new DirectoryRecord.Decoded.Put(quick));
        }
    }

    private static String shaped(FuzzedDataProvider data) {
        StringBuilder b = new StringBuilder("{");
        int fields = data.consumeInt(0, 6);
        for (int i = 0; i < fields; i++) {
            if (i > 0) {
                b.append(',');
            }
            switch (data.consumeInt(0, 6)) {
                case 0 -> b.append("\"name\":").append(piece(data));
                case 1 -> {
                    b.append("\"hosts\":[");
                    int hosts = data.consumeInt(0, 3);
                    for (int h = 0; h < hosts; h++) {
                        b.append(h > 0 ? "," : "").append(piece(data));
                    }
                    b.append(']');
                }
                case 2 ->
                    b.append("\"upstream\":{\"http\":")
                            .append(piece(data))
                            .append(data.consumeBoolean() ? ",\"tls\":" + piece(data) : "")
                            .append('}');
                case 3 ->
                    b.append("\"wireguard\":{\"public_key\":")
                            .append(piece(data))
                            .append(",\"address\":")
                            .append(piece(data))
                            .append(
                                    data.consumeBoolean()
                                            ? ",\"ports\":{\"http\":" + data.consumeInt() + ",\"tls\":" + piece(data)
                                                    + "}"
                                            : "")
                            .append('}');
                case 4 -> b.append("\"proxy_protocol\":").append(piece(data));
                case 5 -> b.append(piece(data)).append(':').append(piece(data));
                default -> b.append(data.consumeString(20));
            }
        }
        return b.append(data.consumeBoolean() ? "}" : data.consumeString(4)).toString();
    }

    /** Values each valid somewhere in an operator, so that fuzzed values are accepted often. */
    private static final String[] VALID = {
        "\"alice\"",
        "\"alice.example.com\"",
        "\"*.alice.example.com\"",
        "\"xn--bcher-kva.example\"",
        "\"10.0.0.1:80\"",
        "\"[fd00::1]:443\"",
        "\"100.64.0.2\"",
        "\"fd00::2\"",
        "\"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\"",
        "\"v1\"",
        "\"v2\"",
        "\"none\"",
        "80",
        "65535",
    };

    /** A JSON value: a valid piece, a string of fuzzed text, a number, null or raw fuzzed text. */
    private static String piece(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 5)) {
            case 0 -> Integer.toString(data.consumeInt());
            case 1 -> "null";
            case 2 -> data.consumeString(30);
            case 3 -> "\"" + data.consumeString(50).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            default -> data.pickValue(VALID);
        };
    }
}
