package co.airdress.relay.wireguard;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.io.AtomicFile;
import co.airdress.relay.net.HostPort;
import co.airdress.relay.tunnel.WireGuardKey;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators' last authenticated endpoints, kept across relay restarts so the new process can
 * initiate a handshake at once instead of waiting for the operator's stale session to age out.
 * One line per peer, {@code <base64 public key> <ip>:<port>} ({@link HostPort}, IPv6 in brackets);
 * replaced whole through {@link AtomicFile}, so a crash leaves the old or the new file.
 */
final class EndpointStateFile {

    private static final Logger log = LoggerFactory.getLogger(EndpointStateFile.class);
    // Far more than any PoP's operators; a bigger file is not ours.
    private static final long MAX_BYTES = 16L * 1024 * 1024;

    private final Path path;

    EndpointStateFile(Path path) {
        this.path = requireNonNull(path, "path");
    }

    Path path() {
        return path;
    }

    /**
     * The endpoints in the file; empty when there is none, or when it cannot be read or parsed
     * (logged: the relay then waits for the operators to re-handshake, as without the file).
     */
    Map<WireGuardKey, InetSocketAddress> load() {
        try {
            if (Files.size(path) > MAX_BYTES) {
                log.warn("WireGuard endpoints file {}: larger than {} bytes; ignored", path, MAX_BYTES);
                return Map.of();
            }
            return parse(Files.readAllLines(path, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (IOException | RuntimeException e) {
            log.warn("WireGuard endpoints file {}: unreadable ({}); ignored", path, e.toString());
            return Map.of();
        }
    }

    /** Replaces the file atomically with {@code endpoints}. */
    void write(Map<WireGuardKey, InetSocketAddress> endpoints) throws IOException {
        requireNonNull(endpoints, "endpoints");
        StringBuilder text = new StringBuilder();
        for (Map.Entry<WireGuardKey, InetSocketAddress> e : endpoints.entrySet()) {
            text.append(e.getKey().toBase64())
                    .append(' ')
                    .append(HostPort.format(e.getValue()))
                    .append('\n');
        }
        AtomicFile.write(path, text.toString().getBytes(StandardCharsets.UTF_8));
    }

    private Map<WireGuardKey, InetSocketAddress> parse(List<String> lines) {
        Map<WireGuardKey, InetSocketAddress> out = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split(" ");
            @Nullable InetSocketAddress endpoint = fields.length == 2 ? HostPort.parse(fields[1], 1) : null;
            @Nullable WireGuardKey key = fields.length == 2 ? parseKey(fields[0]) : null;
            if (key == null || endpoint == null) {
                log.warn(
                        "WireGuard endpoints file {}: line {} is not '<public key> <ip>:<port>'; file ignored",
                        path,
                        i + 1);
                return Map.of();
            }
            out.put(key, endpoint);
        }
        return out;
    }

    private static @Nullable WireGuardKey parseKey(String text) {
        try {
            return WireGuardKey.fromBase64(text);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
