package co.airdress.relay.management;

import co.airdress.relay.config.ConfigProblem;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.config.Upstream;
import co.airdress.relay.config.WireGuardPeer;
import co.airdress.relay.net.HostPort;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The admin API's operator JSON, shaped like one entry of the operators file:
 * {@code {"name", "hosts", "upstream": {"http", "tls"}, "proxy_protocol"}}, or with
 * {@code "wireguard": {"public_key", "address", "ports"?}} instead of {@code upstream}.
 *
 * <p>Request bodies are parsed by {@link OperatorsFile#parse} (JSON is YAML), so the API accepts
 * exactly what the file accepts, with the same messages; only the path prefix changes from
 * {@code operators[0]} to {@code operator}.
 */
final class OperatorJson {

    static final JsonMapper MAPPER = JsonMapper.shared();

    private static final String FILE_PREFIX = "operators[0]";
    private static final String API_PREFIX = "operator";

    private OperatorJson() {}

    /** The outcome of reading a request body. */
    sealed interface Body {
        record Ok(Operator operator) implements Body {}

        record Invalid(List<String> problems) implements Body {}
    }

    static Body read(byte[] body) {
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (JacksonException e) {
            return new Body.Invalid(List.of(API_PREFIX + ": not valid JSON (" + e.getOriginalMessage() + ")"));
        }
        if (node == null || !node.isObject()) {
            return new Body.Invalid(List.of(API_PREFIX + ": expected a JSON object like "
                    + "{\"name\":...,\"hosts\":[...],\"upstream\":{\"http\":...,\"tls\":...},\"proxy_protocol\":...}"));
        }
        ObjectNode wrapper = MAPPER.createObjectNode();
        wrapper.putArray("operators").add(node);
        Parsed<List<Operator>> parsed = OperatorsFile.parse(MAPPER.writeValueAsString(wrapper), "request body");
        return switch (parsed) {
            case Parsed.Ok<List<Operator>> ok ->
                ok.value().size() == 1
                        ? new Body.Ok(ok.value().getFirst())
                        : new Body.Invalid(List.of(API_PREFIX + ": expected exactly one operator"));
            case Parsed.Invalid<List<Operator>> invalid -> new Body.Invalid(text(invalid.problems()));
        };
    }

    static List<String> text(List<ConfigProblem> problems) {
        List<String> out = new ArrayList<>(problems.size());
        for (ConfigProblem p : problems) {
            String path = p.path();
            if (path.startsWith(FILE_PREFIX)) {
                path = API_PREFIX + path.substring(FILE_PREFIX.length());
            }
            out.add(path + ": " + p.message());
        }
        return out;
    }

    static ObjectNode write(Operator op) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("name", op.name());
        ArrayNode hosts = n.putArray("hosts");
        op.hosts().forEach(hosts::add);
        Upstream up = op.upstream();
        if (up != null) {
            ObjectNode u = n.putObject("upstream");
            putAddress(u, "http", up.http());
            putAddress(u, "tls", up.tls());
        }
        WireGuardPeer wg = op.wireguard();
        if (wg != null) {
            n.set("wireguard", MAPPER.valueToTree(OperatorsFile.wireguardMap(wg)));
        }
        n.put("proxy_protocol", op.proxyProtocol().name().toLowerCase(Locale.ROOT));
        return n;
    }

    private static void putAddress(ObjectNode n, String field, @Nullable InetSocketAddress address) {
        if (address != null) {
            n.put(field, HostPort.format(address));
        }
    }
}
