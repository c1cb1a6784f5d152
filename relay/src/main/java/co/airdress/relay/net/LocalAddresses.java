package co.airdress.relay.net;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This host's own addresses, read from its network interfaces (no DNS): a connection to one of them
 * reaches this host. Read when asked, so an address added since start (an anycast VIP put on a
 * dummy interface) counts.
 */
public final class LocalAddresses {

    private static final Logger log = LoggerFactory.getLogger(LocalAddresses.class);

    private LocalAddresses() {}

    /**
     * Every address of every interface (up or not), with the interface's name; empty (and a warning)
     * when the interfaces cannot be listed. Scope ids are dropped: {@code fe80::1%eth0} is {@code fe80::1}.
     */
    public static Map<InetAddress, String> current() {
        Map<InetAddress, String> addresses = new HashMap<>();
        try {
            Enumeration<NetworkInterface> interfaces = NetworkInterface.getNetworkInterfaces();
            while (interfaces != null && interfaces.hasMoreElements()) {
                NetworkInterface nif = interfaces.nextElement();
                Enumeration<InetAddress> own = nif.getInetAddresses();
                while (own.hasMoreElements()) {
                    addresses.putIfAbsent(
                            InetAddress.getByAddress(own.nextElement().getAddress()), nif.getName());
                }
            }
        } catch (SocketException | UnknownHostException e) {
            log.warn("cannot list this host's network interfaces: {}", e.toString());
        }
        return addresses;
    }
}
