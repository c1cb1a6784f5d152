package co.airdress.relay.directory;

import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.config.ProxyProtocol;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayContext;
import co.airdress.relay.config.Upstream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/** Operators for tests of the directory and of the admin API that changes it. */
public final class OperatorFixtures {

    /**
     * The relay these fixtures run on: their upstreams are on loopback (servers in the test), so
     * loopback upstreams are allowed, as {@code upstreams.allow_loopback: true} allows them in a config.
     */
    public static final RelayContext LOOPBACK_UPSTREAMS = RelayContext.of(null, new RelayConfig.Upstreams(true));

    private OperatorFixtures() {}

    /** A direct operator: HTTP on 127.0.0.1:{@code port}, TLS on the port above. */
    public static Operator operator(String name, int port, String... hosts) {
        return new Operator(
                name,
                List.of(hosts),
                new Upstream(new InetSocketAddress("127.0.0.1", port), new InetSocketAddress("127.0.0.1", port + 1)),
                ProxyProtocol.NONE);
    }

    /** The operators {@code file} holds now; fails when it is not valid. */
    public static List<Operator> reread(Path file) {
        return switch (OperatorsFile.read(file)) {
            case Parsed.Ok<List<Operator>> ok -> ok.value();
            case Parsed.Invalid<List<Operator>> invalid ->
                throw new AssertionError(invalid.problems().toString());
        };
    }
}
