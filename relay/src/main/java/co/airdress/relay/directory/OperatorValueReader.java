package co.airdress.relay.directory;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.HostPattern;
import co.airdress.relay.config.NameRule;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.config.Upstream;
import co.airdress.relay.config.WireGuardPeer;
import co.airdress.relay.json.JsonBodies;
import co.airdress.relay.net.HostPort;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.config.KeyText;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

/**
 * Reads a record's value in one pass of Jackson's streaming parser, straight into an
 * {@link Operator}, when the value is a well-formed operator: the quick path of
 * {@link DirectoryRecord#decode} for the records that make up almost all of a log, so that a PoP
 * reads a large directory at start in a fraction of the time of a JSON tree walked by
 * {@code OperatorsFile.parseOperator}.
 *
 * <p>It decides nothing the tree parser would decide differently: it returns an operator only
 * when every field is present in the form the tree parser accepts and every value passes the same
 * checks ({@link NameRule}, {@link HostPattern}, {@link HostPort#parse}, {@link KeyText#parse},
 * {@link InetAddress#ofLiteral}), and then the tree parser gives an equal operator
 * ({@code OperatorValueReaderTest} and the fuzz target {@code OperatorValueFuzzTest} compare the two).
 * Anything else (a problem of any kind, and also what is valid but unusual here: a JSON null
 * standing for an absent field, a repeated key, a repeated host, a name other than the key) is
 * {@code null}, "not decided": the tree parser reads the value and words its problems.
 */
final class OperatorValueReader {

    /** Up to this many hosts a repeat is looked for in the list itself; beyond, in a set. */
    private static final int FEW_HOSTS = 8;

    private OperatorValueReader() {}

    /**
     * The operator {@code value} describes under the record's key {@code name} (a valid name), or
     * null when this reader leaves the value to the tree parser.
     */
    static @Nullable Operator read(byte[] value, String name) {
        requireNonNull(value, "value");
        requireNonNull(name, "name");
        try (JsonParser p = JsonBodies.MAPPER.createParser(value)) {
            Operator op = operator(p, name);
            return op != null && p.nextToken() == null ? op : null;
        } catch (JacksonException | IllegalArgumentException e) {
            return null;
        }
    }

    private static @Nullable Operator operator(JsonParser p, String name) {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            return null;
        }
        List<String> hosts = null;
        Upstream upstream = null;
        WireGuardPeer wireguard = null;
        ProxyProtocol proxy = null;
        boolean named = false;
        for (String key = p.nextName(); key != null; key = p.nextName()) {
            switch (key) {
                case "name" -> {
                    if (named
                            || p.nextToken() != JsonToken.VALUE_STRING
                            || !p.getString().equals(name)) {
                        return null;
                    }
                    named = true;
                }
                case "hosts" -> {
                    if (hosts != null || (hosts = hosts(p)) == null) {
                        return null;
                    }
                }
                case "upstream" -> {
                    if (upstream != null || (upstream = upstream(p)) == null) {
                        return null;
                    }
                }
                case "wireguard" -> {
                    if (wireguard != null || (wireguard = wireguard(p)) == null) {
                        return null;
                    }
                }
                case "proxy_protocol" -> {
                    if (proxy != null || p.nextToken() != JsonToken.VALUE_STRING) {
                        return null;
                    }
                    if ((proxy = ProxyProtocol.parse(p.getString())) == null) {
                        return null;
                    }
                }
                default -> {
                    return null;
                }
            }
        }
        if (p.currentToken() != JsonToken.END_OBJECT || hosts == null || (upstream == null) == (wireguard == null)) {
            return null;
        }
        return new Operator(name, hosts, upstream, proxy == null ? ProxyProtocol.NONE : proxy, wireguard);
    }

    /** At least one host, each a valid pattern as written (already lowercase, no trailing dot), none twice. */
    private static @Nullable List<String> hosts(JsonParser p) {
        if (p.nextToken() != JsonToken.START_ARRAY) {
            return null;
        }
        List<String> hosts = new ArrayList<>(2);
        Set<String> seen = null; // past a few hosts: a long list must not cost its square
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t != JsonToken.VALUE_STRING) {
                return null;
            }
            String host = p.getString();
            if (!HostPattern.normalize(host).equals(host) || HostPattern.expectation(host) != null) {
                return null;
            }
            if (seen == null && hosts.size() == FEW_HOSTS) {
                seen = new HashSet<>(hosts);
            }
            if (seen != null ? !seen.add(host) : hosts.contains(host)) {
                return null;
            }
            hosts.add(host);
        }
        return hosts.isEmpty() ? null : hosts;
    }

    private static @Nullable Upstream upstream(JsonParser p) {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            return null;
        }
        InetSocketAddress http = null;
        InetSocketAddress tls = null;
        for (String key = p.nextName(); key != null; key = p.nextName()) {
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                return null;
            }
            InetSocketAddress address = HostPort.parse(p.getString(), 1);
            if (address == null) {
                return null;
            }
            switch (key) {
                case "http" -> {
                    if (http != null) {
                        return null;
                    }
                    http = address;
                }
                case "tls" -> {
                    if (tls != null) {
                        return null;
                    }
                    tls = address;
                }
                default -> {
                    return null;
                }
            }
        }
        return http == null && tls == null ? null : new Upstream(http, tls);
    }

    private static @Nullable WireGuardPeer wireguard(JsonParser p) {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            return null;
        }
        WireGuardKey key = null;
        InetAddress address = null;
        int[] ports = null;
        for (String field = p.nextName(); field != null; field = p.nextName()) {
            switch (field) {
                case "public_key" -> {
                    if (key != null || p.nextToken() != JsonToken.VALUE_STRING) {
                        return null;
                    }
                    key = KeyText.parse(p.getString(), "public_key");
                }
                case "address" -> {
                    if (address != null || p.nextToken() != JsonToken.VALUE_STRING) {
                        return null;
                    }
                    address = InetAddress.ofLiteral(p.getString());
                }
                case "ports" -> {
                    if (ports != null || (ports = ports(p)) == null) {
                        return null;
                    }
                }
                default -> {
                    return null;
                }
            }
        }
        if (key == null || address == null) {
            return null;
        }
        return ports == null ? new WireGuardPeer(key, address) : new WireGuardPeer(key, address, ports[0], ports[1]);
    }

    /** {@code {"http"?: port, "tls"?: port}}: the ports, the defaults for those not given. */
    private static int @Nullable [] ports(JsonParser p) {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            return null;
        }
        int[] ports = {0, 0};
        for (String key = p.nextName(); key != null; key = p.nextName()) {
            int i = switch (key) {
                case "http" -> 0;
                case "tls" -> 1;
                default -> -1;
            };
            if (i < 0
                    || ports[i] != 0
                    || p.nextToken() != JsonToken.VALUE_NUMBER_INT
                    || p.getNumberType() != JsonParser.NumberType.INT) {
                return null;
            }
            int port = p.getIntValue();
            if (port < 1 || port > 65535) {
                return null;
            }
            ports[i] = port;
        }
        if (ports[0] == 0) {
            ports[0] = WireGuardPeer.DEFAULT_HTTP_PORT;
        }
        if (ports[1] == 0) {
            ports[1] = WireGuardPeer.DEFAULT_TLS_PORT;
        }
        return ports;
    }
}
