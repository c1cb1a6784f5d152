package co.airdress.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.testing.ExternalProcess;
import co.airdress.relay.testing.RelayCommandLine;
import co.airdress.relay.testing.SecretFiles;
import co.airdress.relay.tunnel.WireGuardKeys;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A secret that group or others may read is refused, as ssh refuses such a private key: `relay
 * check` reports the file with its mode, and `relay run` (a real process) exits 1 with that message
 * before binding anything. Owner-only files (0600, 0400) pass.
 */
class SecretFileModeTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int relay(String... args) {
        return RelayCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    /** A config with {@code management} and {@code wireguard} sections as given. */
    private Path config(String management, String wireguard) throws Exception {
        Files.writeString(dir.resolve("operators.yaml"), "operators: []\n");
        return Files.writeString(
                dir.resolve("relay.yaml"),
                "pop: ams1\nlisten: { http: \"127.0.0.1:0\" }\nmanagement: { listen: \"127.0.0.1:0\"" + management
                        + " }\n" + wireguard);
    }

    private static String problem(String setting, Path file, String mode) {
        return setting + ": " + file + " has mode " + mode
                + ": group or others may access it (expected: its owner only, e.g. chmod 600 " + file + ")";
    }

    @Test
    void checkRefusesATokenFileGroupOrOthersMayRead() throws Exception {
        Path token = SecretFiles.write(dir.resolve("admin.token"), "t0ken\n");
        Path config = config(", token_file: admin.token", "");
        assertThat(relay("check", "--config", config.toString()))
                .as(err.toString())
                .isZero();

        for (String mode : new String[] {"rw-r--r--", "rw-r-----", "rw----r--"}) {
            Files.setPosixFilePermissions(token, PosixFilePermissions.fromString(mode));
            err.getBuffer().setLength(0);
            assertThat(relay("check", "--config", config.toString())).isEqualTo(RelayCommand.INVALID);
            String octal = mode.equals("rw-r--r--") ? "0644" : mode.equals("rw-r-----") ? "0640" : "0604";
            assertThat(err.toString()).contains(problem("management.token_file", token, octal));
        }
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("r--------"));
        err.getBuffer().setLength(0);
        assertThat(relay("check", "--config", config.toString()))
                .as(err.toString())
                .isZero();
    }

    @Test
    void checkRefusesAWireGuardPrivateKeyGroupOrOthersMayRead() throws Exception {
        Path key = dir.resolve("wg.key");
        Files.writeString(
                key, WireGuardKeys.generatePrivateKey(new SecureRandom()).toBase64() + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        Path config = config(
                "", "wireguard: { interface: relay0, private_key_file: wg.key, addresses: [\"fd00:a1d::1/64\"] }\n");
        assertThat(relay("check", "--config", config.toString())).isEqualTo(RelayCommand.INVALID);
        assertThat(err.toString()).contains(problem("wireguard.private_key_file", key, "0644"));

        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        err.getBuffer().setLength(0);
        assertThat(relay("check", "--config", config.toString()))
                .as(err.toString())
                .isZero();
    }

    @Test
    void runRefusesToStartWithATokenFileOthersMayRead() throws Exception {
        Path token = dir.resolve("admin.token");
        Files.writeString(token, "t0ken\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-r--r--"));
        Path config = config(", token_file: admin.token", "");
        ExternalProcess.Result run = runRelay(config);
        assertThat(run.exitCode()).as(run.output()).isEqualTo(RelayCommand.INVALID);
        assertThat(run.output())
                .contains(problem("management.token_file", token, "0644"))
                .doesNotContain("listening");
    }

    @Test
    void runRefusesToStartWithAPrivateKeyOthersMayRead() throws Exception {
        Path key = dir.resolve("wg.key");
        Files.writeString(
                key, WireGuardKeys.generatePrivateKey(new SecureRandom()).toBase64() + "\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-rw-r--"));
        // A name and port of its own: were the key accepted, the process would bring up a TUN here.
        String name = "sfm" + ProcessHandle.current().pid() % 100000;
        Path config = config(
                "",
                "wireguard: { interface: " + name
                        + ", private_key_file: wg.key, listen_port: 0, addresses: [\"fd00:a1d::1/64\"] }\n");
        ExternalProcess.Result run = runRelay(config);
        assertThat(run.exitCode()).as(run.output()).isEqualTo(RelayCommand.INVALID);
        assertThat(run.output())
                .contains(problem("wireguard.private_key_file", key, "0664"))
                .doesNotContain("WireGuard " + name + " up");
    }

    /** `relay run --config FILE` as its own process; it must exit on its own within the timeout. */
    private static ExternalProcess.Result runRelay(Path config) throws InterruptedException {
        try (ExternalProcess relay =
                ExternalProcess.start("relay-run", RelayCommandLine.run(config, "-XX:TieredStopAtLevel=1"))) {
            boolean exited = relay.process().waitFor(60, TimeUnit.SECONDS);
            assertThat(exited)
                    .as("relay run exits by itself; output:\n%s", relay.output())
                    .isTrue();
            return new ExternalProcess.Result(relay.process().exitValue(), relay.output());
        }
    }
}
