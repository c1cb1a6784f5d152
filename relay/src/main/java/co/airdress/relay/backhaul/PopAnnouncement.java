package co.airdress.relay.backhaul;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.NameRule;
import co.airdress.relay.json.JsonBodies;
import co.airdress.relay.net.HostPort;
import co.airdress.relay.tunnel.WireGuardKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * What a PoP announces of itself on the PoPs topic (key: its name), for the others to make it a
 * mesh peer. JSON: {@code {"name":"pop2","public_key":"<base64>","addresses":["100.127.0.2",
 * "fd00:a1d:b::2"],"endpoint":"203.0.113.2:51821"}}.
 *
 * @param name the PoP's name (the config's {@code pop})
 * @param publicKey its mesh public key
 * @param addresses its mesh addresses (one per family), where its backhaul listener is
 * @param endpoint the underlay address its mesh UDP port is reached at
 */
public record PopAnnouncement(
        String name, WireGuardKey publicKey, List<InetAddress> addresses, InetSocketAddress endpoint) {

    public PopAnnouncement {
        requireNonNull(name, "name");
        requireNonNull(publicKey, "publicKey");
        addresses = List.copyOf(addresses);
        requireNonNull(endpoint, "endpoint");
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("addresses: [] (expected: at least one mesh address)");
        }
    }

    public byte[] toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("public_key", publicKey.toBase64());
        m.put("addresses", addresses.stream().map(InetAddress::getHostAddress).toList());
        m.put("endpoint", HostPort.format(endpoint));
        return JsonBodies.MAPPER.writeValueAsBytes(m);
    }

    /** The announcement in {@code json} under record key {@code key}, or a reason it is not one. */
    public static Parsed parse(String key, byte[] json) {
        JsonNode node;
        try {
            node = JsonBodies.MAPPER.readTree(json);
        } catch (JacksonException e) {
            return new Parsed.Invalid("not JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            return new Parsed.Invalid("not a JSON object");
        }
        String name = text(node, "name");
        if (name == null || !NameRule.matches(name) || !name.equals(key)) {
            return new Parsed.Invalid("name: " + name + " (expected: " + NameRule.EXPECTATION + ", equal to the key)");
        }
        String key64 = text(node, "public_key");
        WireGuardKey pk;
        try {
            pk = key64 == null ? null : WireGuardKey.fromBase64(key64);
        } catch (IllegalArgumentException e) {
            pk = null;
        }
        if (pk == null) {
            return new Parsed.Invalid("public_key: " + key64 + " (expected: a base64 WireGuard key)");
        }
        JsonNode list = node.get("addresses");
        List<InetAddress> addresses = new ArrayList<>();
        if (list == null || !list.isArray() || list.isEmpty() || list.size() > 2) {
            return new Parsed.Invalid("addresses: (expected: a list of one or two IP literals)");
        }
        for (JsonNode a : list) {
            InetAddress address = a.isString() ? literal(a.stringValue()) : null;
            if (address == null) {
                return new Parsed.Invalid("addresses: " + a + " (expected: an IP literal)");
            }
            addresses.add(address);
        }
        String ep = text(node, "endpoint");
        InetSocketAddress endpoint = ep == null ? null : HostPort.parse(ep, 1);
        if (endpoint == null) {
            return new Parsed.Invalid("endpoint: " + ep + " (expected: ip:port)");
        }
        return new Parsed.Ok(new PopAnnouncement(name, pk, addresses, endpoint));
    }

    private static @Nullable String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isString() ? v.stringValue() : null;
    }

    private static @Nullable InetAddress literal(String text) {
        InetSocketAddress a = HostPort.parse(text.contains(":") ? "[" + text + "]:1" : text + ":1", 1);
        return a == null ? null : a.getAddress();
    }

    /** The outcome of {@link #parse}. */
    public sealed interface Parsed {
        record Ok(PopAnnouncement announcement) implements Parsed {}

        record Invalid(String reason) implements Parsed {}
    }
}
