package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/** Which PROXY protocol header the relay writes to an operator's upstream before the peeked bytes. */
public enum ProxyProtocol {
    NONE,
    V1,
    V2;

    /** The values as the operators file and the admin API write them. */
    public static final String EXPECTATION = "none, v1 or v2";

    /** {@code none}, {@code v1} or {@code v2} as written in an operator; null for anything else. */
    public static @Nullable ProxyProtocol parse(String text) {
        return switch (requireNonNull(text, "text")) {
            case "none" -> NONE;
            case "v1" -> V1;
            case "v2" -> V2;
            default -> null;
        };
    }
}
