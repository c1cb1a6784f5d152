package co.airdress.relay.anycast;

/**
 * The two address families of the BIRD tests, with the addresses {@link BirdLab} gives each: the
 * VIP, and the PoPs' addresses on their links to the router (the next hops the router installs).
 * IPv6 addresses mirror the IPv4 ones: {@code 10.0.X.Y} is {@code 2001:db8:100:X::Y}.
 */
enum Family {
    IPV4("192.0.2.1", "/32", "10.0.1.2", "10.0.2.2", "vip"),
    IPV6("2001:db8::1", "/128", "2001:db8:100:1::2", "2001:db8:100:2::2", "vip6");

    private final String vip;
    private final String hostPrefix;
    private final String pop1;
    private final String pop2;
    private final String protocol;

    Family(String vip, String hostPrefix, String pop1, String pop2, String protocol) {
        this.vip = vip;
        this.hostPrefix = hostPrefix;
        this.pop1 = pop1;
        this.pop2 = pop2;
        this.protocol = protocol;
    }

    /** The VIP address, e.g. {@code 2001:db8::1}. */
    String vip() {
        return vip;
    }

    /** The VIP as BIRD and {@code ip route} name it, e.g. {@code 2001:db8::1/128}. */
    String vipPrefix() {
        return vip + hostPrefix;
    }

    /** pop1's address on its link to the router: the router's next hop while pop1 is preferred. */
    String pop1() {
        return pop1;
    }

    String pop2() {
        return pop2;
    }

    /** The VIP's static protocol in {@code docker/bird/pop-dual-stack.conf}. */
    String protocol() {
        return protocol;
    }

    /** The address as a URL or socket library wants it: IPv6 in brackets. */
    String vipForUrl() {
        return this == IPV6 ? "[" + vip + "]" : vip;
    }
}
