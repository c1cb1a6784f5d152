package co.airdress.relay.e2e;

import co.airdress.relay.tunnel.WireGuardKey;
import co.airdress.relay.tunnel.WireGuardKeys;
import co.airdress.relay.tunnel.cookie.CookieGenerator;
import co.airdress.relay.tunnel.noise.Handshake;
import co.airdress.relay.tunnel.noise.LocalIdentity;
import co.airdress.relay.tunnel.noise.Messages;
import co.airdress.relay.tunnel.noise.Tai64n;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The attacker and the legitimate operator of {@link Ipv6PrefixLimitsTest}, run inside the relay's
 * network namespace (where {@code net.ipv6.ip_nonlocal_bind} and a local route let a socket bind
 * any address of the attacker's /64). The attacker holds 65,536 addresses of one /64 and does what
 * gets an initiation past the relay's cookies: one initiation per address while the relay is under
 * load, which answers each with a cookie reply, then the same initiation with a valid MAC2 from
 * every address. While that second pass runs, our own initiator, configured as an operator and
 * sending from another prefix, makes a handshake (cookie included). Prints one line of results.
 *
 * <p>Arguments: relay host, WireGuard port, relay public key, attacker prefix ({@code
 * 2001:db8:a77:1::}), addresses, warm-up source, legitimate operator's private key, its source,
 * metrics URL.
 */
public final class HandshakeSprayMain {

    private static final int PORT = 40_000;
    private static final Pattern DROP =
            Pattern.compile("relay_wireguard_drops_total\\{[^}]*reason=\"(\\w+)\"[^}]*} ([0-9.eE+]+)");

    private HandshakeSprayMain() {}

    public static void main(String[] args) throws Exception {
        InetSocketAddress relay = new InetSocketAddress(InetAddress.getByName(args[0]), Integer.parseInt(args[1]));
        byte[] relayPublic = WireGuardKey.fromBase64(args[2]).bytes();
        String prefix = args[3];
        int count = Integer.parseInt(args[4]);
        InetAddress warmUp = InetAddress.getByName(args[5]);
        WireGuardKey legitPrivate = WireGuardKey.fromBase64(args[6]);
        InetAddress legitSource = InetAddress.getByName(args[7]);
        URI metrics = URI.create(args[8]);
        SecureRandom random = new SecureRandom();

        // An initiation from a key the relay does not know: each one that gets past the rate
        // limiter costs the relay a Diffie-Hellman before it is found invalid.
        Handshake attacker = new Handshake(
                new LocalIdentity(WireGuardKeys.generatePrivateKey(random).bytes()), relayPublic, null);
        byte[] initiation = attacker.createInitiation(1, Tai64n.of(Instant.now()), random);
        CookieGenerator macs =
                new CookieGenerator(relayPublic, Duration.ofMinutes(2).toNanos());
        macs.addMacs(initiation, System.nanoTime());

        // Put the relay under load (over 256 handshake messages a second), so that it answers with
        // cookie replies instead of processing.
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(warmUp, PORT))) {
            for (int i = 0; i < 600; i++) {
                s.send(new DatagramPacket(initiation, initiation.length, relay));
            }
        }

        // Pass 1: a cookie for every address of the /64.
        byte[][] withMac2 = new byte[count][];
        int cookies = 0;
        for (int attempt = 0; attempt < 2; attempt++) {
            for (int i = 0; i < count; i++) {
                if (withMac2[i] != null) {
                    continue;
                }
                byte[] reply = exchange(address(prefix, i), initiation, relay, 100);
                if (reply != null
                        && reply[0] == Messages.TYPE_COOKIE_REPLY
                        && macs.consumeReply(reply, System.nanoTime())) {
                    byte[] m = initiation.clone();
                    macs.addMacs(m, System.nanoTime()); // MAC1 as before, MAC2 from this address's cookie
                    withMac2[i] = m;
                    cookies++;
                }
            }
        }

        // Pass 2: every address sends its initiation with a valid MAC2, while the operator connects.
        java.util.Map<String, Double> before = drops(metrics);
        AtomicBoolean legitDone = new AtomicBoolean();
        String[] legit = {"not run"};
        Thread operator = Thread.ofPlatform().unstarted(() -> {
            try {
                legit[0] = legitHandshake(legitPrivate, relayPublic, legitSource, relay, random);
            } catch (IOException | RuntimeException e) {
                legit[0] = "error " + e;
            } finally {
                legitDone.set(true);
            }
        });
        long start = System.nanoTime();
        long sent = 0;
        int passes = 0;
        while (passes == 0 || !legitDone.get()) {
            for (int i = 0; i < count; i++) {
                if (withMac2[i] == null) {
                    continue;
                }
                try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(address(prefix, i), PORT))) {
                    s.send(new DatagramPacket(withMac2[i], withMac2[i].length, relay));
                    sent++;
                }
                if (passes == 0 && sent == 2000) {
                    operator.start();
                }
            }
            passes++;
            if (passes > 20) {
                break;
            }
        }
        operator.join(30_000);
        double seconds = (System.nanoTime() - start) / 1e9;
        java.util.Map<String, Double> after = drops(metrics);
        System.out.printf(
                "cookies=%d sent=%d seconds=%.1f handshake_invalid=%d rate_limited=%d cookie_required=%d legit=%s%n",
                cookies,
                sent,
                seconds,
                delta(before, after, "handshake_invalid"),
                delta(before, after, "rate_limited"),
                delta(before, after, "cookie_required"),
                legit[0]);
    }

    /**
     * Our initiator, as wireguard-go would: an initiation; a cookie reply makes it send again with
     * MAC2; a response completes it. Retries as a peer does after REKEY_TIMEOUT, a few times.
     */
    private static String legitHandshake(
            WireGuardKey privateKey,
            byte[] relayPublic,
            InetAddress source,
            InetSocketAddress relay,
            SecureRandom random)
            throws IOException {
        Handshake handshake = new Handshake(new LocalIdentity(privateKey.bytes()), relayPublic, null);
        CookieGenerator macs =
                new CookieGenerator(relayPublic, Duration.ofMinutes(2).toNanos());
        boolean cookie = false;
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(source, PORT))) {
            s.setSoTimeout(2000);
            for (int attempt = 0; attempt < 8; attempt++) {
                byte[] init = handshake.createInitiation(7, Tai64n.of(Instant.now()), random);
                macs.addMacs(init, System.nanoTime());
                s.send(new DatagramPacket(init, init.length, relay));
                byte[] reply = receive(s);
                if (reply == null) {
                    continue;
                }
                if (reply[0] == Messages.TYPE_COOKIE_REPLY) {
                    cookie |= macs.consumeReply(reply, System.nanoTime());
                    continue; // the next initiation carries MAC2
                }
                if (reply[0] == Messages.TYPE_RESPONSE && handshake.consumeResponse(reply)) {
                    return "ok(cookie=" + cookie + ",attempts=" + (attempt + 1) + ")";
                }
            }
        }
        return "failed(cookie=" + cookie + ")";
    }

    /** Sends {@code msg} from {@code source} and waits {@code timeoutMillis} for one datagram. */
    private static byte[] exchange(InetAddress source, byte[] msg, InetSocketAddress relay, int timeoutMillis)
            throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(source, PORT))) {
            s.setSoTimeout(timeoutMillis);
            s.send(new DatagramPacket(msg, msg.length, relay));
            return receive(s);
        }
    }

    private static byte[] receive(DatagramSocket s) throws IOException {
        byte[] buf = new byte[256];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
            s.receive(p);
        } catch (SocketTimeoutException e) {
            return null;
        }
        return Arrays.copyOf(buf, p.getLength());
    }

    /** Address number {@code i + 1} of the /64 {@code prefix} (its last 32 bits). */
    private static InetAddress address(String prefix, int i) throws IOException {
        byte[] raw = InetAddress.getByName(prefix).getAddress();
        int n = i + 1;
        raw[12] = (byte) (n >>> 24);
        raw[13] = (byte) (n >>> 16);
        raw[14] = (byte) (n >>> 8);
        raw[15] = (byte) n;
        return InetAddress.getByAddress(raw);
    }

    private static java.util.Map<String, Double> drops(URI metrics) throws IOException, InterruptedException {
        String text;
        try (HttpClient http = HttpClient.newHttpClient()) {
            text = http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString())
                    .body();
        }
        java.util.Map<String, Double> out = new java.util.HashMap<>();
        Matcher m = DROP.matcher(text);
        while (m.find()) {
            out.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return out;
    }

    private static long delta(
            java.util.Map<String, Double> before, java.util.Map<String, Double> after, String reason) {
        return Math.round(after.getOrDefault(reason, 0.0) - before.getOrDefault(reason, 0.0));
    }
}
