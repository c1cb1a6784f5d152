package co.airdress.relay.sni;

import static co.airdress.relay.sni.HelloBuilder.hello;
import static org.assertj.core.api.Assertions.assertThat;

import co.airdress.relay.sni.ClientHelloPeek.Status;
import co.airdress.relay.sni.Fixtures.ClientHelloFixture;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Differential test against Netty's {@link AbstractSniHandler} (4.2): over the captured fixtures
 * and many seeded random mutations of them, whenever Netty extracts a host we either report the
 * same host (after our normalisation) or reject the hello for a reason Netty does not check (our
 * hostname rules, stricter TLS grammar). Wherever Netty throws, we return an outcome.
 */
class NettyDifferentialTest {

    private static final int MUTATIONS_PER_SEED = 3_000;

    /** What Netty's handler made of some bytes. */
    record NettyResult(
            boolean threw, boolean decided, @Nullable String host) {}

    static final class CapturingSniHandler extends AbstractSniHandler<String> {
        boolean decided;

        @Nullable
        String host;

        CapturingSniHandler() {
            super(ClientHelloPeek.DEFAULT_MAX_HELLO_LENGTH, 0L);
        }

        @Override
        protected Future<String> lookup(ChannelHandlerContext ctx, String hostname) {
            decided = true;
            host = hostname;
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture("looked up");
        }

        @Override
        protected void onLookupComplete(ChannelHandlerContext ctx, String hostname, Future<String> future) {
            ctx.pipeline().remove(this);
        }
    }

    static NettyResult netty(byte[] wire) {
        CapturingSniHandler handler = new CapturingSniHandler();
        EmbeddedChannel channel = new EmbeddedChannel(handler);
        boolean threw = false;
        try {
            channel.writeInbound(Unpooled.wrappedBuffer(wire));
            channel.checkException();
        } catch (Throwable t) {
            threw = true;
        } finally {
            try {
                channel.finishAndReleaseAll();
            } catch (Throwable t) {
                threw = true;
            }
        }
        return new NettyResult(threw, handler.decided, handler.host);
    }

    static ClientHelloPeek ours(byte[] wire) {
        ClientHelloPeek peek = new ClientHelloPeek();
        Feeding.feedOne(wire, 0, wire.length, peek::feed);
        return peek;
    }

    static List<byte[]> seeds() {
        List<byte[]> seeds = new ArrayList<>();
        for (ClientHelloFixture f : Fixtures.clientHellos()) {
            seeds.add(f.bytes());
        }
        seeds.add(hello().sni("Mixed.Case.Example.").alpn("h2").bytes());
        seeds.add(HelloBuilder.records(hello().sni("split.example").padding(600).handshake(), 100));
        return seeds;
    }

    @Test
    void agreesWithNettyOnEveryFixture() {
        for (ClientHelloFixture f : Fixtures.clientHellos()) {
            NettyResult netty = netty(f.bytes());
            ClientHelloPeek ours = ours(f.bytes());
            assertThat(netty.threw()).as(f.name()).isFalse();
            assertThat(ours.host()).as(f.name()).isEqualTo(netty.host());
            assertThat(ours.status()).as(f.name()).isEqualTo(netty.host() == null ? Status.NO_SNI : Status.FOUND);
        }
    }

    @Test
    void agreesWithNettyOnSeededMutations() {
        Map<String, Integer> tally = new java.util.TreeMap<>();
        Map<Status, Integer> ourStatuses = new EnumMap<>(Status.class);
        List<byte[]> seeds = seeds();
        for (int s = 0; s < seeds.size(); s++) {
            byte[] seed = seeds.get(s);
            Random random = new Random(0x5eed_0000L + s);
            for (int m = 0; m < MUTATIONS_PER_SEED; m++) {
                byte[] wire = mutate(seed, random);
                ClientHelloPeek ours = ours(wire); // never throws: any exception fails the test here
                NettyResult netty = netty(wire);
                ourStatuses.merge(ours.status(), 1, Integer::sum);
                String c = check(wire, ours, netty);
                tally.merge(c, 1, Integer::sum);
            }
        }
        System.out.println("differential tally: " + tally + "; our statuses: " + ourStatuses);
        assertThat(tally.getOrDefault("both found, same host", 0))
                .as("mutations keep many hellos valid")
                .isGreaterThan(1000);
    }

    /**
     * Bodies on which Netty's private extractor indexes past its buffer (the kind of crash
     * netty#10922 reports): it trusts session_id, cipher_suites and compression lengths without
     * checking them against the hello. We answer each with an outcome.
     */
    @Test
    void whereNettysExtractorThrowsWeAnswer() throws Throwable {
        java.lang.invoke.MethodHandle extract = java.lang.invoke.MethodHandles.privateLookupIn(
                        AbstractSniHandler.class, java.lang.invoke.MethodHandles.lookup())
                .findStatic(
                        AbstractSniHandler.class,
                        "extractSniHostname",
                        java.lang.invoke.MethodType.methodType(String.class, io.netty.buffer.ByteBuf.class));
        byte[][] bodies = {
            Bytes.of(0x03, 0x03, Bytes.zeros(32), 0x20, Bytes.zeros(8)), // session_id length 32, 8 bytes follow
            Bytes.of(0x03, 0x03, Bytes.zeros(32), 0x00, 0xff, 0xf0, Bytes.zeros(6)), // cipher_suites length 65520
            Bytes.of(
                    0x03,
                    0x03,
                    Bytes.zeros(32),
                    0x00,
                    0x00,
                    0x02,
                    0x13,
                    0x01,
                    0xff,
                    0x00,
                    0x00), // compression length 255
        };
        int nettyThrew = 0;
        for (byte[] body : bodies) {
            try {
                extract.invoke(Unpooled.wrappedBuffer(body));
            } catch (IndexOutOfBoundsException e) {
                nettyThrew++;
            }
            byte[] wire = ClientHelloHostileTest.record(ClientHelloHostileTest.clientHello(body));
            ClientHelloPeek peek = ours(wire);
            assertThat(peek.status()).isEqualTo(Status.MALFORMED);
            assertThat(peek.malformed()).isEqualTo(MalformedHello.LENGTH_OVERRUN);
        }
        assertThat(nettyThrew).as("Netty 4.2's extractor still throws on these").isPositive();
    }

    /** Checks one case and names its category. */
    static String check(byte[] wire, ClientHelloPeek ours, NettyResult netty) {
        String hex = io.netty.buffer.ByteBufUtil.hexDump(wire);
        if (netty.threw()) {
            return "netty threw, we said " + ours.status();
        }
        String h = netty.host();
        if (!netty.decided()) {
            return "netty undecided, we said " + ours.status();
        }
        if (h == null) {
            if (ours.status() == Status.FOUND && Boolean.getBoolean("airdress.differential.debug")) {
                System.out.println("netty null, we found " + ours.host() + ": " + hex);
            }
            return "netty no host, we said " + ours.status();
        }
        // Netty succeeded: we agree, or we reject for a reason Netty does not check.
        byte[] name = h.getBytes(StandardCharsets.ISO_8859_1);
        boolean validForUs = HostnameRules.normalize(name, 0, name.length) > 0;
        if (ours.status() == Status.FOUND) {
            assertThat(validForUs)
                    .as("we accepted a host that breaks our rules: %s in %s", h, hex)
                    .isTrue();
            String expected = h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
            assertThat(ours.host()).as("host for %s", hex).isEqualTo(expected);
            return "both found, same host";
        }
        assertThat(ours.status())
                .as("netty found %s, we said %s for %s", h, ours.status(), hex)
                .isIn(Status.MALFORMED, Status.TOO_LARGE);
        if (ours.malformed() == MalformedHello.INVALID_HOST || ours.malformed() == MalformedHello.EMPTY_HOST) {
            assertThat(validForUs)
                    .as("we rejected %s, which our rules accept, in %s", h, hex)
                    .isFalse();
            return "netty found, host breaks our rules";
        }
        assertThat(ours.malformed()).isNotNull();
        return "netty found, we rejected the grammar: " + ours.malformed();
    }

    static byte[] mutate(byte[] seed, Random random) {
        byte[] b = seed.clone();
        int edits = 1 + random.nextInt(3);
        for (int e = 0; e < edits; e++) {
            int at = random.nextInt(b.length);
            switch (random.nextInt(6)) {
                case 0 -> b[at] = (byte) random.nextInt(256);
                case 1 -> b[at] ^= (byte) (1 << random.nextInt(8));
                case 2 -> b[at] = (byte) (random.nextBoolean() ? 0 : 0xff);
                case 3 -> b[at] = (byte) (b[at] + (random.nextBoolean() ? 1 : -1)); // off-by-one in a length
                case 4 -> b = java.util.Arrays.copyOf(b, Math.max(1, at)); // truncation
                default -> { // an insertion
                    byte[] longer = new byte[b.length + 1];
                    System.arraycopy(b, 0, longer, 0, at);
                    longer[at] = (byte) random.nextInt(256);
                    System.arraycopy(b, at, longer, at + 1, b.length - at);
                    b = longer;
                }
            }
        }
        return b;
    }
}
