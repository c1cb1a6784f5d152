package co.airdress.relay.tunnel.tun;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.IpPrefix;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Gives an interface its addresses and MTU and brings it up, with iproute2 ({@code ip}). Child
 * processes inherit the calling thread's network namespace, as the TUN device does.
 */
public final class InterfaceSetup {

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

    private final String ipCommand;

    /** Uses {@code ip} from the PATH. */
    public InterfaceSetup() {
        this("ip");
    }

    public InterfaceSetup(String ipCommand) {
        this.ipCommand = requireNonNull(ipCommand, "ipCommand");
    }

    /**
     * {@code ip link set <if> mtu <mtu>}, {@code ip addr replace <cidr> dev <if>} for each address
     * (idempotent across restarts), then {@code ip link set <if> up}.
     *
     * @throws IOException naming the failing command and its output
     */
    public void up(String interfaceName, List<IpPrefix> addresses, int mtu) throws IOException {
        requireNonNull(interfaceName, "interfaceName");
        requireNonNull(addresses, "addresses");
        run(ipCommand, "link", "set", "dev", interfaceName, "mtu", Integer.toString(mtu));
        for (IpPrefix address : addresses) {
            // IPv6 addresses on a fresh interface would wait for DAD; the tunnel has no neighbours.
            List<String> cmd =
                    new ArrayList<>(List.of(ipCommand, "addr", "replace", address.toString(), "dev", interfaceName));
            if (address.isIpv6()) {
                cmd.add("nodad");
            }
            run(cmd.toArray(String[]::new));
        }
        run(ipCommand, "link", "set", "dev", interfaceName, "up");
    }

    /** {@code ip link set <if> down}; used before closing so routes go away at once. */
    public void down(String interfaceName) throws IOException {
        run(ipCommand, "link", "set", "dev", requireNonNull(interfaceName, "interfaceName"), "down");
    }

    private static void run(String... command) throws IOException {
        String line = String.join(" ", command);
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("interface setup: cannot run '" + line + "': " + e.getMessage(), e);
        }
        process.getOutputStream().close();
        String output;
        try (InputStream in = process.getInputStream()) {
            output = new String(in.readNBytes(4096), StandardCharsets.UTF_8).strip();
        }
        try {
            if (!process.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException("interface setup: '" + line + "' timed out after " + COMMAND_TIMEOUT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interface setup: interrupted running '" + line + "'", e);
        }
        if (process.exitValue() != 0) {
            throw new IOException("interface setup: '" + line + "' exited with " + process.exitValue()
                    + (output.isEmpty() ? "" : ": " + output));
        }
    }
}
