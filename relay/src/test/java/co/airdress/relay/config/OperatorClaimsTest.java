package co.airdress.relay.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class OperatorClaimsTest {

    private static Operator op(String name, String... hosts) {
        return new Operator(
                name, List.of(hosts), new Upstream(new InetSocketAddress("127.0.0.1", 1), null), ProxyProtocol.NONE);
    }

    private static ClaimConflict host(String operator, String claim, String owner, String ownerClaim) {
        return new ClaimConflict(ClaimConflict.Kind.HOST, operator, claim, owner, ownerClaim);
    }

    @Test
    void namesAreOrderedFromTheRightSoASubtreeIsOneRange() {
        TreeSet<String> set = new TreeSet<>(OperatorClaims::compareFromTheRight);
        set.addAll(List.of(
                "b.example.com",
                "a.example.com",
                "example.com",
                "*.example.com",
                "b.a.example.com",
                "com",
                "example.org",
                "xample.com",
                "aexample.com"));
        assertThat(set)
                .containsExactly(
                        "example.org",
                        "com",
                        "xample.com",
                        "example.com",
                        "*.example.com",
                        "a.example.com",
                        "b.a.example.com",
                        "b.example.com",
                        "aexample.com");
        assertThat(OperatorClaims.isBelow("a.example.com", "example.com")).isTrue();
        assertThat(OperatorClaims.isBelow("*.example.com", "example.com")).isTrue();
        assertThat(OperatorClaims.isBelow("example.com", "example.com")).isFalse();
        assertThat(OperatorClaims.isBelow("aexample.com", "example.com")).isFalse();
    }

    @Test
    void aWildcardCoversEverythingStrictlyBelowItsSuffix() {
        OperatorClaims claims = OperatorClaims.of(List.of(op("alice", "alice.example.com", "*.alice.example.com")));
        assertThat(claims.hostConflict("bob", "login.alice.example.com"))
                .isEqualTo(host("bob", "login.alice.example.com", "alice", "*.alice.example.com"));
        assertThat(claims.hostConflict("bob", "a.b.c.alice.example.com"))
                .isEqualTo(host("bob", "a.b.c.alice.example.com", "alice", "*.alice.example.com"));
        assertThat(claims.hostConflict("bob", "*.login.alice.example.com"))
                .isEqualTo(host("bob", "*.login.alice.example.com", "alice", "*.alice.example.com"));
        assertThat(claims.hostConflict("bob", "*.alice.example.com"))
                .isEqualTo(host("bob", "*.alice.example.com", "alice", "*.alice.example.com"));
        assertThat(claims.hostConflict("bob", "*.example.com"))
                .isEqualTo(host("bob", "*.example.com", "alice", "alice.example.com"));
        // Not below: the suffix itself, its parent, look-alike siblings.
        assertThat(claims.hostConflict("bob", "example.com")).isNull();
        assertThat(claims.hostConflict("bob", "xalice.example.com")).isNull();
        assertThat(claims.hostConflict("bob", "*.xalice.example.com")).isNull();
        assertThat(claims.hostConflict("bob", "alice.example.com.evil.test")).isNull();
        // The owner's own names never conflict with its wildcard.
        assertThat(claims.hostConflict("alice", "www.alice.example.com")).isNull();
        assertThat(claims.hostConflict("alice", "*.eu.alice.example.com")).isNull();
    }

    @Test
    void removingAnOperatorFreesWhatItClaimedAndNothingElse() {
        Operator alice = op("alice", "*.alice.example.com");
        Operator carol = op("carol", "carol.example.com");
        OperatorClaims claims = OperatorClaims.of(List.of(alice, carol));
        Operator aliceAgain = op("alice", "*.alice.example.com", "www.alice.example.com");
        assertThat(claims.conflict(aliceAgain))
                .as("an operator's version in force")
                .isNull();
        claims.remove(alice);
        assertThat(claims.hostConflict("bob", "login.alice.example.com")).isNull();
        assertThat(claims.hostConflict("bob", "carol.example.com"))
                .isEqualTo(host("bob", "carol.example.com", "carol", "carol.example.com"));
        // Removing an operator that does not hold a claim leaves the holder's.
        claims.remove(op("bob", "carol.example.com"));
        assertThat(claims.hostOwner("carol.example.com")).isEqualTo("carol");
    }

    @Test
    void aWildcardOverManyNamesOfOneOperatorFindsTheOneOfAnother() {
        List<Operator> many = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            many.add(op("op" + i, "app" + i + ".a.airdr.es"));
        }
        OperatorClaims claims = OperatorClaims.of(many);
        ClaimConflict c = claims.hostConflict("mallory", "*.a.airdr.es");
        assertThat(c.claim()).isEqualTo("*.a.airdr.es");
        assertThat(c.ownerClaim()).isEqualTo("app" + c.owner().substring(2) + ".a.airdr.es");
        assertThat(claims.hostConflict("op7", "*.app7.a.airdr.es")).isNull();
        assertThat(claims.hostConflict("op7", "x.app8.a.airdr.es"))
                .isNull(); // below app8 exactly is not app8: exact names cover only themselves
        assertThat(claims.hostConflict("op7", "app8.a.airdr.es"))
                .isEqualTo(host("op7", "app8.a.airdr.es", "op8", "app8.a.airdr.es"));
    }
}
