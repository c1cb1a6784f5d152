package co.airdress.relay.config;

import static java.util.Objects.requireNonNull;

/**
 * One operator's claim that another operator already holds (see {@link OperatorClaims} for the
 * rule): a host pattern that is the same as, under or over another operator's, or a WireGuard key
 * or tunnel address already in use.
 *
 * @param kind what is claimed
 * @param operator the operator whose claim is refused
 * @param claim what it claims, as written: a host pattern, a key in base64, an address
 * @param owner the operator that holds the conflicting claim
 * @param ownerClaim what the owner holds: the same as {@code claim}, or for hosts the covering or
 *     covered pattern
 */
public record ClaimConflict(Kind kind, String operator, String claim, String owner, String ownerClaim) {

    public ClaimConflict {
        requireNonNull(kind, "kind");
        requireNonNull(operator, "operator");
        requireNonNull(claim, "claim");
        requireNonNull(owner, "owner");
        requireNonNull(ownerClaim, "ownerClaim");
    }

    public enum Kind {
        HOST,
        PUBLIC_KEY,
        ADDRESS
    }

    /** The same host pattern, key or address. */
    public boolean identical() {
        return claim.equals(ownerClaim);
    }

    /** A host of {@code operator} below a wildcard of {@code owner}. */
    public boolean underWildcard() {
        return kind == Kind.HOST
                && !identical()
                && HostPattern.isWildcard(ownerClaim)
                && OperatorClaims.isBelow(claim, ownerClaim.substring(2));
    }

    /** One sentence naming both operators, for the admin API and the log. */
    public String message() {
        return switch (kind) {
            case HOST ->
                identical()
                        ? "host " + claim + " belongs to operator " + owner
                        : underWildcard()
                                ? "host " + claim + " of operator " + operator + " is under operator " + owner
                                        + "'s wildcard " + ownerClaim
                                : "wildcard " + claim + " of operator " + operator + " covers operator " + owner
                                        + "'s host " + ownerClaim;
            case PUBLIC_KEY ->
                "WireGuard public key " + claim + " of operator " + operator + " is used by operator " + owner;
            case ADDRESS -> "tunnel address " + claim + " of operator " + operator + " is used by operator " + owner;
        };
    }

    /**
     * The problem at {@code path} (the claim's own path, e.g. {@code operators[1].hosts[0]}) as the
     * operators file reports it, {@code value (expected: ...)}.
     */
    public ConfigProblem problem(String path) {
        requireNonNull(path, "path");
        String value = YamlTree.quote(claim);
        String owned = "operator " + YamlTree.quote(owner);
        return new ConfigProblem(
                path,
                switch (kind) {
                    case HOST ->
                        identical()
                                ? value + " (expected: a host not already owned by " + owned + ")"
                                : underWildcard()
                                        ? value + " of operator " + YamlTree.quote(operator)
                                                + " (expected: a host outside " + YamlTree.quote(ownerClaim)
                                                + " of " + owned + ")"
                                        : value + " of operator " + YamlTree.quote(operator)
                                                + " (expected: a wildcard over no other operator's host, but it covers "
                                                + YamlTree.quote(ownerClaim) + " of " + owned + ")";
                    case PUBLIC_KEY -> value + " (expected: a key not already used by " + owned + ")";
                    case ADDRESS -> value + " (expected: an address not already used by " + owned + ")";
                });
    }
}
