package co.airdress.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.Prerequisites;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code relay genkey} / {@code relay pubkey} agree with the real {@code wg genkey} / {@code wg pubkey}. */
class KeyCommandsTest {

    private record Run(int status, String out, String err) {}

    private static synchronized Run relay(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        InputStream before = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.US_ASCII)));
        try {
            int status = RelayCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
            return new Run(status, out.toString(), err.toString());
        } finally {
            System.setIn(before);
        }
    }

    private static String wgPubkey(String privateKey) throws Exception {
        Process p = new ProcessBuilder("wg", "pubkey").redirectErrorStream(true).start();
        p.getOutputStream().write((privateKey + "\n").getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    @Test
    void ourGenkeyWithWgPubkeyEqualsOurPubkey() throws Exception {
        Prerequisites.tool("wg");
        Run gen = relay("", "genkey");
        assertThat(gen.status()).isZero();
        assertThat(gen.out()).matches("[A-Za-z0-9+/]{43}=\n");
        Run pub = relay(gen.out(), "pubkey");
        assertThat(pub.status()).as(pub.err()).isZero();
        assertThat(pub.out()).isEqualTo(wgPubkey(gen.out().strip()));
    }

    @Test
    void wgGenkeyWithOurPubkeyEqualsWgPubkey() throws Exception {
        Prerequisites.tool("wg");
        String key = ExternalProcess.run(Duration.ofSeconds(10), "wg", "genkey");
        Run pub = relay(key, "pubkey");
        assertThat(pub.status()).as(pub.err()).isZero();
        assertThat(pub.out()).isEqualTo(wgPubkey(key.strip()));
    }

    @Test
    void checkValidatesWireguardOperatorsAgainstTheTunnelPrefixes(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Files.writeString(dir.resolve("relay.yaml"), """
                pop: ams1
                listen: { tls: "[::]:443" }
                wireguard: { interface: relay0, private_key_file: wg.key, addresses: ["fd00:a1d::1/64"] }
                """);
        String key = relay("", "genkey").out().strip();
        String pub = relay(key, "pubkey").out().strip();
        java.nio.file.Files.writeString(dir.resolve("operators.yaml"), """
                operators:
                  - { name: bob, hosts: [bob.example.test], wireguard: { public_key: "%s", address: "fd00:a1d::b" } }
                """.formatted(pub));
        Run ok = relay("", "check", "--config", dir.resolve("relay.yaml").toString());
        assertThat(ok.status()).as(ok.err()).isZero();
        java.nio.file.Files.writeString(dir.resolve("operators.yaml"), """
                operators:
                  - { name: bob, hosts: [bob.example.test], wireguard: { public_key: "%s", address: "10.0.0.1" } }
                """.formatted(pub));
        Run bad = relay("", "check", "--config", dir.resolve("relay.yaml").toString());
        assertThat(bad.status()).isEqualTo(RelayCommand.INVALID);
        assertThat(bad.err())
                .contains(
                        "operators[0].wireguard.address: \"10.0.0.1\" (expected: inside one of the relay's tunnel prefixes");
    }

    @Test
    void pubkeyRefusesWhatIsNotAKey() {
        Run pub = relay("not a key\n", "pubkey");
        assertThat(pub.status()).isEqualTo(RelayCommand.INVALID);
        assertThat(pub.err()).contains("private key on stdin").contains("expected");
        assertThat(pub.out()).isEmpty();
    }
}
