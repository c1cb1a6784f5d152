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
            int helloLength) {}

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

    static HeadOutcome head(byte[] wire) {
        HttpHeadPeek peek = new HttpHeadPeek();
        Feeding.feedOne(wire, 0, wire.length, peek::feed);
        return of(peek);
    }
}
