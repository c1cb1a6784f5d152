package co.airdress.relay.config;

import java.nio.file.Path;

/**
 * The relay's config file (YAML): parse and validate into {@link RelayConfig}, with defaults.
 *
 * <p>API contract (stub: implementation pending).
 */
public final class RelayConfigFile {

    private RelayConfigFile() {}

    public static Parsed<RelayConfig> read(Path file) {
        throw new UnsupportedOperationException("pending");
    }

    public static Parsed<RelayConfig> parse(String yaml, String source) {
        throw new UnsupportedOperationException("pending");
    }
}
