package co.airdress.relay.cli;

import co.airdress.relay.config.ConfigProblem;
import co.airdress.relay.config.DirectoryConfig;
import co.airdress.relay.config.NameRule;
import co.airdress.relay.config.Operator;
import co.airdress.relay.config.OperatorsFile;
import co.airdress.relay.config.Parsed;
import co.airdress.relay.config.RelayConfig;
import co.airdress.relay.config.RelayConfigFile;
import co.airdress.relay.config.WireGuardPeer;
import co.airdress.relay.directory.DirectoryAdmin;
import co.airdress.relay.tunnel.IpPrefix;
import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.WireGuardKeys;
import co.airdress.relay.tunnel.config.KeyText;
import co.airdress.relay.tunnel.config.WireGuardConfig;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code relay operator-config NAME --config FILE [--generate-key]}: prints the {@code wg-quick}
 * config of an operator of kind {@code wireguard} (relay/README.md): one peer, the network's
 * public key (derived from {@code wireguard.private_key_file}) at {@code wireguard.public_endpoint},
 * the relay's tunnel addresses as allowed IPs; the operator's own address from the directory (its
 * Kafka log when the config has one, else the operators file).
 */
@Command(
        name = "operator-config",
        mixinStandardHelpOptions = true,
        versionProvider = RelayCommand.Version.class,
        description = "Prints a wg-quick config for operator NAME (stdout): its tunnel address from the directory,"
                + " one peer (the network's public key at wireguard.public_endpoint). The private key is a"
                + " placeholder unless --generate-key.")
final class OperatorConfigCommand implements Callable<Integer> {

    /** What stands for the operator's private key when none is generated. */
    static final String PLACEHOLDER = "REPLACE_WITH_THE_OPERATORS_PRIVATE_KEY";

    /** Seconds between keepalives: keeps the operator's NAT mapping, and its attachment, alive. */
    static final int KEEPALIVE = 25;

    @Parameters(index = "0", paramLabel = "NAME", description = "The operator (of kind wireguard) in the directory.")
    @Nullable
    String name;

    @Option(
            names = {"-c", "--config"},
            required = true,
            paramLabel = "FILE",
            description = "The relay config (YAML): wireguard.private_key_file, wireguard.addresses,"
                    + " wireguard.public_endpoint and the directory (directory.kafka or operators_file).")
    @Nullable
    Path config;

    @Option(
            names = "--generate-key",
            description = "Generate the operator's private key into the config; its public key, which the directory"
                    + " must hold for NAME, is printed as a comment and on stderr.")
    boolean generateKey;

    @Spec
    @Nullable
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec == null
                ? new PrintWriter(System.out, true)
                : spec.commandLine().getOut();
        PrintWriter err = spec == null
                ? new PrintWriter(System.err, true)
                : spec.commandLine().getErr();
        Path file = config;
        String operatorName = name;
        if (file == null || operatorName == null) {
            return fail(err, "NAME and --config are required");
        }
        if (!NameRule.matches(operatorName)) {
            return fail(err, "NAME: \"" + operatorName + "\" (expected: " + NameRule.EXPECTATION + ")");
        }
        Parsed<RelayConfig> parsed = RelayConfigFile.read(file);
        if (parsed instanceof Parsed.Invalid<RelayConfig> invalid) {
            return fail(
                    err,
                    invalid.source() + ": "
                            + invalid.problems().stream()
                                    .map(ConfigProblem::toString)
                                    .collect(Collectors.joining("\n")));
        }
        RelayConfig c = ((Parsed.Ok<RelayConfig>) parsed).value();
        WireGuardConfig wg = c.wireguard();
        if (wg == null) {
            return fail(
                    err,
                    file + ": wireguard: missing (expected: the relay's WireGuard interface, whose key and addresses"
                            + " the operator's config names; relay/README.md)");
        }
        String endpoint = c.wireguardPublicEndpoint();
        if (endpoint == null) {
            return fail(
                    err,
                    file + ": wireguard.public_endpoint: missing (expected: host:port, the address operators dial,"
                            + " the network's anycast address and WireGuard port, like \"192.0.2.1:51820\";"
                            + " relay/README.md)");
        }
        WireGuardKey networkKey;
        try {
            networkKey = WireGuardKeys.publicKey(KeyText.readFile(wg.privateKeyFile()));
        } catch (IOException | IllegalArgumentException e) {
            return fail(err, "wireguard.private_key_file: " + wg.privateKeyFile() + ": " + e.getMessage());
        }
        List<Operator> operators;
        String source;
        DirectoryConfig directory = c.directory();
        if (directory != null) {
            source = "the directory's log " + directory.kafka().topic();
            switch (DirectoryAdmin.read(directory.kafka())) {
                case DirectoryAdmin.Read.Failed f -> {
                    return fail(err, f.message());
                }
                case DirectoryAdmin.Read.Ok ok -> operators = ok.operators();
            }
        } else {
            source = c.operatorsFile().toString();
            Parsed<List<Operator>> read = OperatorsFile.read(c.operatorsFile());
            if (read instanceof Parsed.Invalid<List<Operator>> invalid) {
                return fail(
                        err,
                        invalid.source() + ": "
                                + invalid.problems().stream()
                                        .map(ConfigProblem::toString)
                                        .collect(Collectors.joining("\n")));
            }
            operators = ((Parsed.Ok<List<Operator>>) read).value();
        }
        Operator op = operators.stream()
                .filter(o -> o.name().equals(operatorName))
                .findFirst()
                .orElse(null);
        if (op == null) {
            return fail(err, "no such operator: " + operatorName + " (in " + source + ")");
        }
        WireGuardPeer peer = op.wireguard();
        if (peer == null) {
            return fail(
                    err,
                    "operator " + operatorName + ": reached at its upstream address, not through the tunnel (expected:"
                            + " an operator with wireguard: { public_key, address })");
        }
        String privateKey = PLACEHOLDER;
        String generatedPublic = null;
        if (generateKey) {
            WireGuardKey generated = WireGuardKeys.generatePrivateKey(new SecureRandom());
            privateKey = generated.toBase64();
            generatedPublic = WireGuardKeys.publicKey(generated).toBase64();
        }
        out.print(render(operatorName, peer, privateKey, generatedPublic, networkKey, endpoint, wg.addresses()));
        out.flush();
        if (generatedPublic != null) {
            err.println("the generated private key's public key is " + generatedPublic
                    + (generatedPublic.equals(peer.publicKey().toBase64())
                            ? ""
                            : "; the directory holds " + peer.publicKey().toBase64() + " for " + operatorName
                                    + ": put the new one there (wireguard.public_key, PUT /v1/operators/"
                                    + operatorName + ") before the operator connects"));
            err.flush();
        }
        return 0;
    }

    /** The wg-quick config. */
    static String render(
            String operator,
            WireGuardPeer peer,
            String privateKey,
            @Nullable String generatedPublic,
            WireGuardKey networkKey,
            String endpoint,
            List<IpPrefix> relayAddresses) {
        String address = host(peer.address());
        StringBuilder b = new StringBuilder();
        b.append("# wg-quick config of operator ").append(operator).append(" (bin/relay operator-config).\n");
        b.append("# Through this tunnel the relay connects to ")
                .append(address.contains(":") ? "[" + address + "]" : address)
                .append(" port ")
                .append(peer.httpPort())
                .append(" (HTTP) and ")
                .append(peer.tlsPort())
                .append(" (TLS).\n");
        b.append("[Interface]\n");
        if (generatedPublic != null) {
            b.append("# PublicKey = ")
                    .append(generatedPublic)
                    .append(" (the key the directory must hold for ")
                    .append(operator)
                    .append(")\n");
        } else {
            b.append("# The private key whose public key the directory holds for ")
                    .append(operator)
                    .append(": ")
                    .append(peer.publicKey().toBase64())
                    .append("\n");
        }
        b.append("PrivateKey = ").append(privateKey).append('\n');
        b.append("Address = ").append(address).append(peer.address().getAddress().length == 4 ? "/32" : "/128");
        b.append("\n\n");
        b.append("[Peer]\n");
        b.append("# The network: every PoP, at the anycast address.\n");
        b.append("PublicKey = ").append(networkKey.toBase64()).append('\n');
        b.append("Endpoint = ").append(endpoint).append('\n');
        b.append("AllowedIPs = ")
                .append(relayAddresses.stream()
                        .map(p -> host(p.address()) + (p.address().getAddress().length == 4 ? "/32" : "/128"))
                        .collect(Collectors.joining(", ")))
                .append('\n');
        b.append("PersistentKeepalive = ").append(KEEPALIVE).append('\n');
        return b.toString();
    }

    private static String host(InetAddress address) {
        return NetUtil.toAddressString(address);
    }

    private static int fail(PrintWriter err, String message) {
        err.println(message);
        err.flush();
        return RelayCommand.INVALID;
    }
}
