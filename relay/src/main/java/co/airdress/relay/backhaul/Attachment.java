package co.airdress.relay.backhaul;

import static java.util.Objects.requireNonNull;

/** Where an operator's tunnel is attached, as far as this PoP knows. */
public sealed interface Attachment {

    /** Attached here (or treated so): the connection goes to the local tunnel. */
    Attachment LOCAL = new Local();

    /** Never seen attached anywhere: the local tunnel is tried, as without a backhaul. */
    Attachment UNKNOWN = new Unknown();

    record Local() implements Attachment {}

    record Unknown() implements Attachment {}

    /** Attached at another PoP of the network, named {@code pop}. */
    record AtPop(String pop) implements Attachment {
        public AtPop {
            requireNonNull(pop, "pop");
        }
    }
}
