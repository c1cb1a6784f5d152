package co.airdress.relay.sni;

import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Everything a peek reports, as comparable values. */
final class Outcomes {

    private Outcomes() {}

    record HelloOutcome(
            ClientHelloPeek.Status status,
            @Nullable String host,
            @Nullable MalformedHello malformed,
            List<String> alpn,
            List<Integer> supportedVersions,
            int legacyVersion,
            boolean ech,
            int helloLength) {

        HelloOutcome withStatus(ClientHelloPeek.Status newStatus) {
            return new HelloOutcome(
                    newStatus, host, malformed, alpn, supportedVersions, legacyVersion, ech, helloLength);
        }
    }

    record HeadOutcome(
            HttpHeadPeek.Status status,
            @Nullable String host,
            @Nullable MalformedHead malformed,
            int minorVersion,
            int headLength) {}

    static HelloOutcome of(ClientHelloPeek peek) {
        return new HelloOutcome(
                peek.status(),
                peek.host(),
                peek.malformed(),
                peek.alpn(),
                Arrays.stream(peek.supportedVersions()).boxed().toList(),
                peek.legacyVersion(),
                peek.echPresent(),
                peek.helloLength());
    }

    static HeadOutcome of(HttpHeadPeek peek) {
        return new HeadOutcome(peek.status(), peek.host(), peek.malformed(), peek.minorVersion(), peek.headLength());
    }

    static HelloOutcome hello(byte[] wire) {
        ClientHelloPeek peek = new ClientHelloPeek();
        Feeding.feedOne(wire, 0, wire.length, peek::feed);
        return of(peek);
    }

    /** The outcome without a byte bound: only the hello cap applies. */
    static HelloOutcome unbounded(byte[] wire) {
        ClientHelloPeek peek = new ClientHelloPeek(ClientHelloPeek.DEFAULT_MAX_HELLO_LENGTH, Integer.MAX_VALUE);
        Feeding.feedOne(wire, 0, wire.length, peek::feed);
        return of(peek);
    }

    /**
     * What a peek with the default cap and a byte bound of {@code maxBytes} must report for
     * {@code wire}: the unbounded outcome if it is decided within the first {@code maxBytes}
     * bytes, else TOO_LARGE with what those bytes told (a decision depends only on the bytes up to
     * where it is made).
     */
    static HelloOutcome within(byte[] wire, int maxBytes) {
        return within(wire, ClientHelloPeek.DEFAULT_MAX_HELLO_LENGTH, maxBytes);
    }

    /** As {@link #within(byte[], int)} for a peek with cap {@code maxHelloLength}. */
    static HelloOutcome within(byte[] wire, int maxHelloLength, int maxBytes) {
        int n = Math.min(wire.length, maxBytes);
        ClientHelloPeek peek = new ClientHelloPeek(maxHelloLength, Integer.MAX_VALUE);
        Feeding.feedOne(wire, 0, n, peek::feed);
        HelloOutcome outcome = of(peek);
        if (outcome.status() == ClientHelloPeek.Status.NEED_MORE && n == maxBytes) {
            return outcome.withStatus(ClientHelloPeek.Status.TOO_LARGE);
        }
        return outcome;
    }

    static HeadOutcome head(byte[] wire) {
        HttpHeadPeek peek = new HttpHeadPeek();
        Feeding.feedOne(wire, 0, wire.length, peek::feed);
        return of(peek);
    }
}
