package co.airdress.relay.access;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.config.Operator;
import co.airdress.relay.listen.Listener;
import java.net.InetSocketAddress;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the relay learns about one connection as it moves along the path; written to the access
 * log when the client side closes. Touched only from the connection's event loop.
 */
public final class ConnectionRecord {

    private final Listener listener;
    private final @Nullable InetSocketAddress client;
    private final long acceptedNanos;
    private final long acceptedMillis;
    private @Nullable String host;
    private List<String> alpn = List.of();
    private @Nullable Operator operator;
    private @Nullable Outcome outcome;
    private @Nullable String ingressPop;
    private @Nullable String deliveryPop;
    // Written once on the event loop; read by a drain's sweep from another thread (a hint it rechecks).
    private volatile boolean throughTunnel;
    long clientToUpstream;
    long upstreamToClient;

    public ConnectionRecord(
            Listener listener, @Nullable InetSocketAddress client, long acceptedNanos, long acceptedMillis) {
        this.listener = requireNonNull(listener, "listener");
        this.client = client;
        this.acceptedNanos = acceptedNanos;
        this.acceptedMillis = acceptedMillis;
    }

    public Listener listener() {
        return listener;
    }

    public @Nullable InetSocketAddress client() {
        return client;
    }

    public long acceptedNanos() {
        return acceptedNanos;
    }

    public long acceptedMillis() {
        return acceptedMillis;
    }

    public @Nullable String host() {
        return host;
    }

    public List<String> alpn() {
        return alpn;
    }

    public void peeked(@Nullable String host, List<String> alpn) {
        this.host = host;
        this.alpn = requireNonNull(alpn, "alpn");
    }

    public @Nullable Operator operator() {
        return operator;
    }

    public void operator(Operator operator) {
        this.operator = requireNonNull(operator, "operator");
    }

    /** Whether the connection was dialed through this PoP's WireGuard tunnel to its operator. */
    public boolean throughTunnel() {
        return throughTunnel;
    }

    public void throughTunnel(boolean through) {
        this.throughTunnel = through;
    }

    /** The first outcome set stays: later closes are consequences of it. */
    public void outcome(Outcome outcome) {
        if (this.outcome == null) {
            this.outcome = requireNonNull(outcome, "outcome");
        }
    }

    /** Replaces RELAYED by a more precise ending (idle timeout). */
    public void endedBy(Outcome outcome) {
        if (this.outcome == null || this.outcome == Outcome.RELAYED) {
            this.outcome = requireNonNull(outcome, "outcome");
        }
    }

    public @Nullable Outcome outcome() {
        return outcome;
    }

    public void addClientToUpstream(long bytes) {
        clientToUpstream += bytes;
    }

    public void addUpstreamToClient(long bytes) {
        upstreamToClient += bytes;
    }

    public long clientToUpstream() {
        return clientToUpstream;
    }

    public long upstreamToClient() {
        return upstreamToClient;
    }

    /** The PoP the client reached, when another PoP handed this connection over the backhaul. */
    public @Nullable String ingressPop() {
        return ingressPop;
    }

    public void ingressPop(String pop) {
        this.ingressPop = requireNonNull(pop, "pop");
    }

    /** The PoP this connection was handed to over the backhaul, if it was. */
    public @Nullable String deliveryPop() {
        return deliveryPop;
    }

    public void deliveryPop(String pop) {
        this.deliveryPop = requireNonNull(pop, "pop");
    }
}
