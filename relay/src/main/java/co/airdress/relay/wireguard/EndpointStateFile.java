package co.airdress.relay.wireguard;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.io.AtomicFile;
import co.airdress.relay.net.HostPort;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.noise.Tai64n;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the relay remembers of each operator's peer across restarts: its last authenticated
 * endpoint, so the new process can initiate a handshake at once instead of waiting for the
 * operator's stale session to age out, and the TAI64N timestamp of the latest initiation it
 * accepted, so an initiation captured before the restart is still refused as a replay. One line
 * per peer, {@code <base64 public key> <ip>:<port> <24 hex digits>} (IPv6 in brackets); the
 * timestamp is optional, so a file written before it existed is read as it was (then rewritten
 * with it). Addresses as {@link HostPort} writes them; replaced whole through {@link AtomicFile},
 * so a crash leaves the old or the new file.
 */
final class EndpointStateFile {

    /**
     * One peer's line.
     *
     * @param latestInitiation the TAI64N timestamp of the latest initiation accepted from the peer,
     *     24 lowercase hex digits (as {@link #hex} writes it); null when none is known
     */
    record Peer(InetSocketAddress endpoint, @Nullable String latestInitiation) {

        Peer {
            requireNonNull(endpoint, "endpoint");
            if (latestInitiation != null && !isTai64nHex(latestInitiation)) {
                throw new IllegalArgumentException(
                        "latestInitiation: " + latestInitiation + " (expected: 24 lowercase hex digits)");
            }
        }

        /** The timestamp's 12 bytes, or null. */
        byte @Nullable [] latestInitiationBytes() {
            return latestInitiation == null ? null : HexFormat.of().parseHex(latestInitiation);
        }
    }

    /** 12 TAI64N bytes as the file holds them. */
    static String hex(byte[] tai64n) {
        return HexFormat.of().formatHex(tai64n);
    }

    private static boolean isTai64nHex(String text) {
        return text.length() == 2 * Tai64n.LENGTH
                && text.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }

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
     * The peers in the file; empty when there is none, or when it cannot be read or parsed
     * (logged: the relay then waits for the operators to re-handshake, as without the file).
     */
    Map<WireGuardKey, Peer> load() {
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

    /** Replaces the file atomically with {@code peers}. */
    void write(Map<WireGuardKey, Peer> peers) throws IOException {
        requireNonNull(peers, "peers");
        StringBuilder text = new StringBuilder();
        for (Map.Entry<WireGuardKey, Peer> e : peers.entrySet()) {
            text.append(e.getKey().toBase64())
                    .append(' ')
                    .append(HostPort.format(e.getValue().endpoint()));
            String latest = e.getValue().latestInitiation();
            if (latest != null) {
                text.append(' ').append(latest);
            }
            text.append('\n');
        }
        AtomicFile.write(path, text.toString().getBytes(StandardCharsets.UTF_8));
    }

    private Map<WireGuardKey, Peer> parse(List<String> lines) {
        Map<WireGuardKey, Peer> out = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split(" ");
            boolean shape = fields.length == 2 || (fields.length == 3 && isTai64nHex(fields[2]));
            @Nullable InetSocketAddress endpoint = shape ? HostPort.parse(fields[1], 1) : null;
            @Nullable WireGuardKey key = shape ? parseKey(fields[0]) : null;
            if (key == null || endpoint == null) {
                log.warn(
                        "WireGuard endpoints file {}: line {} is not '<public key> <ip>:<port> [<TAI64N, 24 hex "
                                + "digits>]'; file ignored",
                        path,
                        i + 1);
                return Map.of();
            }
            out.put(key, new Peer(endpoint, fields.length == 3 ? fields[2] : null));
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
