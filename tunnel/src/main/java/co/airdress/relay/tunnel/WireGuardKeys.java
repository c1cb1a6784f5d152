package co.airdress.relay.tunnel;

import static java.util.Objects.requireNonNull;

import co.airdress.relay.tunnel.crypto.Curve25519;
import java.security.SecureRandom;

/** What {@code wg genkey}, {@code wg pubkey} and {@code wg genpsk} do, for {@code bin/relay}. */
public final class WireGuardKeys {

    private WireGuardKeys() {}

    /** A new clamped Curve25519 private key, like {@code wg genkey}. */
    public static WireGuardKey generatePrivateKey(SecureRandom random) {
        requireNonNull(random, "random");
        return WireGuardKey.of(Curve25519.generatePrivateKey(random));
    }

    /** 32 random bytes, like {@code wg genpsk}. */
    public static WireGuardKey generatePresharedKey(SecureRandom random) {
        requireNonNull(random, "random");
        byte[] key = new byte[WireGuardKey.LENGTH];
        random.nextBytes(key);
        return WireGuardKey.of(key);
    }

    /** The public key of {@code privateKey}, like {@code wg pubkey} (clamps as X25519 does). */
    public static WireGuardKey publicKey(WireGuardKey privateKey) {
        requireNonNull(privateKey, "privateKey");
        return WireGuardKey.of(Curve25519.publicKey(privateKey.unsafeBytes()));
    }
}
