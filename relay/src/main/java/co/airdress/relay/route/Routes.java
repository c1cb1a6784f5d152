package co.airdress.relay.route;

import static java.util.Objects.requireNonNull;

/** The current route table, replaced atomically; readers never block. */
public final class Routes {

    private volatile RouteTable current;

    public Routes(RouteTable initial) {
        this.current = requireNonNull(initial, "initial");
    }

    public RouteTable current() {
        return current;
    }

    public void replace(RouteTable next) {
        current = requireNonNull(next, "next");
    }
}
