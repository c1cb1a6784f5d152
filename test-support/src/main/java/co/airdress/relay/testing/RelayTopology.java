package co.airdress.relay.testing;

/**
 * Three namespaces: the relay in the middle, operators A and B each joined to it by a veth pair
 * (A on 192.168.101.0/24 and 2001:db8:101::/64, B on 192.168.102.0/24 and 2001:db8:102::/64; the
 * relay is .1 / ::1 on both), so an operator's underlay can be either family. Deleted on close.
 */
public final class RelayTopology implements AutoCloseable {

    public static final String RELAY_UNDERLAY_A = "192.168.101.1";
    public static final String OPERATOR_A_UNDERLAY = "192.168.101.2";
    public static final String RELAY_UNDERLAY_B = "192.168.102.1";
    public static final String OPERATOR_B_UNDERLAY = "192.168.102.2";
    public static final String RELAY_UNDERLAY_A6 = "2001:db8:101::1";
    public static final String OPERATOR_A_UNDERLAY6 = "2001:db8:101::2";
    public static final String RELAY_UNDERLAY_B6 = "2001:db8:102::1";
    public static final String OPERATOR_B_UNDERLAY6 = "2001:db8:102::2";

    private final NetworkNamespace relay;
    private final NetworkNamespace operatorA;
    private final NetworkNamespace operatorB;
    private final String relayVethA;

    private RelayTopology(
            NetworkNamespace relay, NetworkNamespace operatorA, NetworkNamespace operatorB, String relayVethA) {
        this.relay = relay;
        this.operatorA = operatorA;
        this.operatorB = operatorB;
        this.relayVethA = relayVethA;
    }

    public static RelayTopology create(String prefix) {
        long id = ProcessHandle.current().pid() % 100000;
        NetworkNamespace relay = NetworkNamespace.create(prefix + "-relay");
        NetworkNamespace a = null;
        NetworkNamespace b = null;
        try {
            a = NetworkNamespace.create(prefix + "-opa");
            b = NetworkNamespace.create(prefix + "-opb");
            relay.link("rva" + id, RELAY_UNDERLAY_A + "/24", a, "ova" + id, OPERATOR_A_UNDERLAY + "/24");
            relay.link("rvb" + id, RELAY_UNDERLAY_B + "/24", b, "ovb" + id, OPERATOR_B_UNDERLAY + "/24");
            relay.addAddress("rva" + id, RELAY_UNDERLAY_A6 + "/64");
            a.addAddress("ova" + id, OPERATOR_A_UNDERLAY6 + "/64");
            relay.addAddress("rvb" + id, RELAY_UNDERLAY_B6 + "/64");
            b.addAddress("ovb" + id, OPERATOR_B_UNDERLAY6 + "/64");
            return new RelayTopology(relay, a, b, "rva" + id);
        } catch (RuntimeException e) {
            if (b != null) {
                b.close();
            }
            if (a != null) {
                a.close();
            }
            relay.close();
            throw e;
        }
    }

    public NetworkNamespace relay() {
        return relay;
    }

    public NetworkNamespace operatorA() {
        return operatorA;
    }

    public NetworkNamespace operatorB() {
        return operatorB;
    }

    /** The relay's end of the veth towards operator A (for loss injection and the like). */
    public String relayVethA() {
        return relayVethA;
    }

    @Override
    public void close() {
        operatorB.close();
        operatorA.close();
        relay.close();
    }
}
