package co.airdress.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.NetworkNamespace;
import co.airdress.relay.testing.Prerequisites;
import co.airdress.relay.testing.SecretFiles;
import co.airdress.relay.testing.WireGuardGoPeer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code relay operator-config}: an operator's wg-quick config, checked by wg-quick and wg themselves. */
class OperatorConfigCommandTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final Pattern PRIVATE_KEY = Pattern.compile("(?m)^PrivateKey = (\\S+)$");

    @TempDir
    Path dir;

    private String networkPublicKey;
    private String demoPublicKey;

    private record Run(int status, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = RelayCommand.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(status, out.toString(), err.toString());
    }

    @BeforeEach
    void files() throws Exception {
        Prerequisites.tool("wg");
        String networkKey = ExternalProcess.run(TIMEOUT, "wg", "genkey").strip();
        networkPublicKey = WireGuardGoPeer.pubkey(networkKey);
        demoPublicKey = WireGuardGoPeer.pubkey(
                ExternalProcess.run(TIMEOUT, "wg", "genkey").strip());
        SecretFiles.write(dir.resolve("network.key"), networkKey + "\n");
        Files.writeString(dir.resolve("operators.yaml"), """
                operators:
                  - name: demo
                    hosts: [demo.example.test]
                    wireguard: { public_key: "%s", address: "fd00:a1d::b0b" }
                  - name: plain
                    hosts: [plain.example.test]
                    upstream: { http: "192.0.2.10:80" }
                """.formatted(demoPublicKey));
    }

    private Path config(String publicEndpoint) throws Exception {
        Path yaml = dir.resolve("relay.yaml");
        Files.writeString(
                yaml, """
                pop: pop1
                listen: { http: "127.0.0.1:0" }
                operators_file: operators.yaml
                wireguard:
                  interface: wg-relay
                  private_key_file: network.key
                  addresses: ["fd00:a1d::1/64", "100.96.0.1/16"]
                %s
                """.formatted(publicEndpoint.isEmpty() ? "" : "  public_endpoint: \"" + publicEndpoint + "\""));
        return yaml;
    }

    @Test
    void printsOnePeerTheNetworkAtTheAnycastEndpoint() throws Exception {
        Run r = run(
                "operator-config", "demo", "--config", config("192.0.2.1:51820").toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out())
                .contains("[Interface]\n")
                .contains("PrivateKey = " + OperatorConfigCommand.PLACEHOLDER + "\n")
                .contains(demoPublicKey)
                .contains("Address = fd00:a1d::b0b/128\n")
                .contains("[Peer]\n")
                .contains("PublicKey = " + networkPublicKey + "\n")
                .contains("Endpoint = 192.0.2.1:51820\n")
                .contains("AllowedIPs = fd00:a1d::1/128, 100.96.0.1/32\n")
                .contains("PersistentKeepalive = 25\n");
        assertThat(r.out().split("\\[Peer\\]", -1)).hasSize(2);
    }

    @Test
    void refusesWhatItCannotPrintWithTheReason() throws Exception {
        Run r = run("operator-config", "demo", "--config", config("").toString());
        assertThat(r.status()).isEqualTo(RelayCommand.INVALID);
        assertThat(r.err()).contains("wireguard.public_endpoint: missing (expected: host:port");
        assertThat(r.out()).isEmpty();

        Path yaml = config("192.0.2.1:51820");
        r = run("operator-config", "plain", "--config", yaml.toString());
        assertThat(r.status()).isEqualTo(RelayCommand.INVALID);
        assertThat(r.err()).contains("operator plain: reached at its upstream address, not through the tunnel");

        r = run("operator-config", "nobody", "--config", yaml.toString());
        assertThat(r.status()).isEqualTo(RelayCommand.INVALID);
        assertThat(r.err()).contains("no such operator: nobody");

        r = run("check", "--config", config("192.0.2.1").toString());
        assertThat(r.status()).isEqualTo(RelayCommand.INVALID);
        assertThat(r.err()).contains("wireguard.public_endpoint: \"192.0.2.1\" (expected: host:port");
        assertThat(run("check", "--config", config("wg.example.net:51820").toString())
                        .status())
                .isZero();
        assertThat(run("check", "--config", config("[2001:db8::1]:51820").toString())
                        .status())
                .isZero();
    }

    @Test
    void aGeneratedKeyIsPrintedWithThePublicKeyTheDirectoryMustHold() throws Exception {
        Run r = run(
                "operator-config",
                "demo",
                "--generate-key",
                "--config",
                config("192.0.2.1:51820").toString());
        assertThat(r.status()).as(r.err()).isZero();
        Matcher m = PRIVATE_KEY.matcher(r.out());
        assertThat(m.find()).isTrue();
        String publicKey = WireGuardGoPeer.pubkey(m.group(1));
        assertThat(r.out()).contains("# PublicKey = " + publicKey + " ");
        assertThat(r.err())
                .contains("public key is " + publicKey)
                .contains("the directory holds " + demoPublicKey + " for demo");
    }

    @Test
    void wgQuickStripsItAndWgTakesIt() throws Exception {
        Prerequisites.networkNamespaces();
        Prerequisites.tool("wg-quick");
        Prerequisites.tool("wireguard-go");
        Run r = run(
                "operator-config",
                "demo",
                "--generate-key",
                "--config",
                config("192.0.2.1:51820").toString());
        assertThat(r.status()).as(r.err()).isZero();
        String ifName = "opcfg" + (ProcessHandle.current().pid() % 100000);
        Path conf = dir.resolve(ifName + ".conf");
        Files.writeString(conf, r.out());
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        // wg-quick reads it (Address is its own key) and leaves what wg takes.
        String stripped = ExternalProcess.run(TIMEOUT, "wg-quick", "strip", conf.toString());
        assertThat(stripped).doesNotContain("Address");
        Path wgConf = dir.resolve("stripped.conf");
        Files.writeString(wgConf, stripped);
        Matcher m = PRIVATE_KEY.matcher(r.out());
        assertThat(m.find()).isTrue();
        try (NetworkNamespace ns = NetworkNamespace.create("opcfg");
                WireGuardGoPeer peer = WireGuardGoPeer.start(ns, ifName, 0, 1420)) {
            ns.exec("wg", "setconf", peer.interfaceName(), wgConf.toString());
            String shown = ns.exec("wg", "showconf", peer.interfaceName());
            assertThat(shown)
                    .contains("PrivateKey = " + m.group(1))
                    .contains("PublicKey = " + networkPublicKey)
                    .contains("Endpoint = 192.0.2.1:51820")
                    .contains("PersistentKeepalive = 25");
            assertThat(shown)
                    .containsPattern("AllowedIPs = (fd00:a1d::1/128, 100.96.0.1/32|100.96.0.1/32, fd00:a1d::1/128)");
        }
    }
}
