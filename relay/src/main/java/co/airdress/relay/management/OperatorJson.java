package co.airdress.relay.management;

import co.airdress.relay.config.ConfigProblem;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.config.Upstream;
import co.airdress.relay.config.WireGuardPeer;
import co.airdress.relay.net.HostPort;
import java.net.InetSocketAddress;
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
 * <p>Request bodies are read as a JSON tree and checked by {@link OperatorsFile#parseOperator}, the
 * code that reads the file's entries, so the API accepts exactly what the file accepts, with the
 * same messages; paths start at {@code operator} ({@code operator.hosts[0]}).
 */
final class OperatorJson {

    static final JsonMapper MAPPER = JsonMapper.shared();

    private static final String PATH = "operator";

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
            return new Body.Invalid(List.of(PATH + ": not valid JSON (" + e.getOriginalMessage() + ")"));
        }
        if (node == null || !node.isObject()) {
            return new Body.Invalid(List.of(PATH + ": expected a JSON object like "
                    + "{\"name\":...,\"hosts\":[...],\"upstream\":{\"http\":...,\"tls\":...},\"proxy_protocol\":...}"));
        }
        return switch (OperatorsFile.parseOperator(node, PATH, "request body")) {
            case Parsed.Ok<Operator> ok -> new Body.Ok(ok.value());
            case Parsed.Invalid<Operator> invalid -> new Body.Invalid(text(invalid.problems()));
        };
    }

    /** Problems as the API lists them: {@code path: message}. */
    static List<String> text(List<ConfigProblem> problems) {
        return problems.stream().map(ConfigProblem::toString).toList();
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
