package co.airdress.relay.tunnel;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What turns one set of peers into another, as a config reload needs it: the peers to remove, to
 * add, and to update in place. Unchanged peers appear in none of the lists, so their sessions are
 * left alone. {@link #between} computes it; {@link WireGuardEngine#apply} carries it out.
 */
public record PeerChanges(List<WireGuardKey> removed, List<PeerConfig> added, List<PeerConfig> updated) {

    public PeerChanges {
        removed = List.copyOf(requireNonNull(removed, "removed"));
        added = List.copyOf(requireNonNull(added, "added"));
        updated = List.copyOf(requireNonNull(updated, "updated"));
    }

    /**
     * From the peers in force to the {@code wanted} ones (the last entry wins for a key given
     * twice). A wanted peer without an endpoint keeps the endpoint it has (configured or learned),
     * so that alone is no change.
     */
    public static PeerChanges between(Collection<PeerConfig> current, Collection<PeerConfig> wanted) {
        requireNonNull(current, "current");
        requireNonNull(wanted, "wanted");
        Map<WireGuardKey, PeerConfig> before = new LinkedHashMap<>();
        current.forEach(p -> before.put(p.publicKey(), p));
        Map<WireGuardKey, PeerConfig> after = new LinkedHashMap<>();
        wanted.forEach(p -> after.put(p.publicKey(), p));
        List<WireGuardKey> removed = new ArrayList<>();
        for (WireGuardKey key : before.keySet()) {
            if (!after.containsKey(key)) {
                removed.add(key);
            }
        }
        List<PeerConfig> added = new ArrayList<>();
        List<PeerConfig> updated = new ArrayList<>();
        for (PeerConfig p : after.values()) {
            PeerConfig was = before.get(p.publicKey());
            if (was == null) {
                added.add(p);
            } else if (!sameSettings(was, p)) {
                updated.add(p);
            }
        }
        return new PeerChanges(removed, added, updated);
    }

    public boolean isEmpty() {
        return removed.isEmpty() && added.isEmpty() && updated.isEmpty();
    }

    private static boolean sameSettings(PeerConfig was, PeerConfig wanted) {
        return was.allowedIps().equals(wanted.allowedIps())
                && was.persistentKeepalive().equals(wanted.persistentKeepalive())
                && Objects.equals(was.presharedKey(), wanted.presharedKey())
                && (wanted.endpoint() == null || wanted.endpoint().equals(was.endpoint()));
    }
}
