package co.airdress.relay.directory;

import co.airdress.relay.config.ConfigProblem;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.config.Upstream;
import co.airdress.relay.config.WireGuardPeer;
import co.airdress.relay.json.JsonBodies;
import co.airdress.relay.net.HostPort;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * An operator as JSON: the admin API's body and the value of a record of the directory's log,
 * shaped like one entry of the operators file:
 * {@code {"name", "hosts", "upstream": {"http", "tls"}, "proxy_protocol"}}, or with
 * {@code "wireguard": {"public_key", "address", "ports"?}} instead of {@code upstream}.
 *
 * <p>Request bodies are read as a JSON tree and checked by {@link OperatorsFile#parseOperator}, the
 * code that reads the file's entries, so the API accepts exactly what the file accepts, with the
 * same messages; paths start at {@code operator} ({@code operator.hosts[0]}).
 */
public final class OperatorJson {

    private static final String PATH = "operator";

    private OperatorJson() {}

    /** The outcome of reading a request body. */
    public sealed interface Body {
        record Ok(Operator operator) implements Body {}

        record Invalid(List<String> problems) implements Body {}
    }

    /** An operator as the API shows it. */
    public record OperatorBody(
            String name,
            List<String> hosts,

            @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable
            UpstreamBody upstream,

            @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable
            Map<String, Object> wireguard,

            String proxyProtocol) {}

    public record UpstreamBody(
            @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable
            String http,

            @JsonInclude(JsonInclude.Include.NON_NULL) @Nullable
            String tls) {}

    /** GET /v1/operators. */
    public record OperatorList(List<OperatorBody> operators, long routeVersion) {}

    /** A request body; problems have paths starting at {@code operator}. */
    public static Body read(byte[] body) {
        JsonNode node;
        try {
            node = JsonBodies.MAPPER.readTree(body);
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
    public static List<String> text(List<ConfigProblem> problems) {
        return problems.stream().map(ConfigProblem::toString).toList();
    }

    /** The operator as the API shows it and the log holds it. */
    public static OperatorBody write(Operator op) {
        Upstream up = op.upstream();
        WireGuardPeer wg = op.wireguard();
        return new OperatorBody(
                op.name(),
                op.hosts(),
                up == null ? null : new UpstreamBody(address(up.http()), address(up.tls())),
                wg == null ? null : OperatorsFile.wireguardMap(wg),
                op.proxyProtocol().name().toLowerCase(Locale.ROOT));
    }

    /** {@link #write} as UTF-8 JSON bytes: one canonical form per operator. */
    public static byte[] bytes(Operator op) {
        return JsonBodies.MAPPER.writeValueAsBytes(write(op));
    }

    private static @Nullable String address(@Nullable InetSocketAddress address) {
        return address == null ? null : HostPort.format(address);
    }
}
