package co.airdress.relay.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class OperatorsFileTest {

    private static final String EXAMPLE = """
            operators:
              - name: alice
                hosts: ["alice.example.test", "*.alice.example.test"]   # exact beats wildcard
                upstream: { http: "127.0.0.1:8080", tls: "127.0.0.1:8443" }
                proxy_protocol: v2
              - name: bob
                hosts: ["Bob.Example.Test."]
                upstream: { tls: "[::1]:9443" }
            """;

    private static List<Operator> ok(String yaml) {
        Parsed<List<Operator>> p = OperatorsFile.parse(yaml, "ops.yaml");
        assertThat(p).as("%s", p).isInstanceOf(Parsed.Ok.class);
        return ((Parsed.Ok<List<Operator>>) p).value();
    }

    private static List<String> problems(String yaml) {
        Parsed<List<Operator>> p = OperatorsFile.parse(yaml, "ops.yaml");
        assertThat(p).isInstanceOf(Parsed.Invalid.class);
        return ((Parsed.Invalid<List<Operator>>) p)
                .problems().stream().map(ConfigProblem::toString).toList();
    }

    @Test
    void readsTheExampleAndNormalisesHosts() {
        List<Operator> ops = ok(EXAMPLE);
        assertThat(ops)
                .containsExactly(
                        new Operator(
                                "alice",
                                List.of("alice.example.test", "*.alice.example.test"),
                                new Upstream(
                                        new InetSocketAddress("127.0.0.1", 8080),
                                        new InetSocketAddress("127.0.0.1", 8443)),
                                ProxyProtocol.V2),
                        new Operator(
                                "bob",
                                List.of("bob.example.test"),
                                new Upstream(null, new InetSocketAddress("::1", 9443)),
                                ProxyProtocol.NONE));
    }

    @Test
    void anEmptyListIsValid() {
        assertThat(ok("operators: []\n")).isEmpty();
        assertThat(ok("operators:\n")).isEmpty();
    }

    @Test
    void writeRoundTrips() {
        List<Operator> ops = ok(EXAMPLE);
        String yaml = OperatorsFile.write(ops);
        assertThat(ok(yaml)).isEqualTo(ops);
        assertThat(yaml).contains("[::1]:9443").contains("proxy_protocol: none");
    }

    @Test
    void reportsEveryHostRule() {
        List<String> p = problems("""
                operators:
                  - name: a
                    hosts: ["ok.example", "*.com", "a.*.example", "*example.com", "under_score.example", "-x.example", \
                "x..example", "10.0.0.1", "bücher.example", "", "*.*.example"]
                    upstream: { http: "127.0.0.1:80" }
                """);
        assertThat(p)
                .containsExactly(
                        "operators[0].hosts[1]: \"*.com\" (expected: a wildcard with at least two labels after \"*.\")",
                        "operators[0].hosts[2]: \"a.*.example\" (expected: a wildcard only as the whole first label, like *.example.com)",
                        "operators[0].hosts[3]: \"*example.com\" (expected: a wildcard only as the whole first label, like *.example.com)",
                        "operators[0].hosts[4]: \"under_score.example\" (expected: a host name of letters, digits, '-' and '.')",
                        "operators[0].hosts[5]: \"-x.example\" (expected: a host name whose labels do not start or end with '-')",
                        "operators[0].hosts[6]: \"x..example\" (expected: a host name without empty labels)",
                        "operators[0].hosts[7]: \"10.0.0.1\" (expected: a host name, not an IP address (the last label is not all digits))",
                        "operators[0].hosts[8]: \"bücher.example\" (expected: an ASCII host name (internationalised names as A-labels, xn--...))",
                        "operators[0].hosts[9]: \"\" (expected: a host name or a wildcard like *.example.com)",
                        "operators[0].hosts[10]: \"*.*.example\" (expected: a wildcard only as the whole first label, like *.example.com)");
    }

    @Test
    void rejectsLongNamesAndLabels() {
        String label64 = "a".repeat(64);
        String long254 = ("a".repeat(62) + ".").repeat(4) + "abc";
        assertThat(HostPattern.expectation(label64 + ".example")).contains("63");
        assertThat(long254.length()).isGreaterThan(253);
        assertThat(HostPattern.expectation(long254)).contains("253");
        assertThat(HostPattern.expectation("xn--bcher-kva.example")).isNull();
        assertThat(HostPattern.expectation("localhost")).isNull();
    }

    @Test
    void reportsOperatorFieldsAndUnknownKeys() {
        List<String> p = problems("""
                operators:
                  - name: Alice
                    hosts: []
                    upstream: { http: "app.internal:8080", tls: "127.0.0.1:0", quic: "x" }
                    proxy_protocol: v3
                    weight: 1
                  - hosts: "x.example"
                  - name: c
                    hosts: [c.example]
                    upstream: {}
                """);
        assertThat(p)
                .contains(
                        "operators[0].weight: unknown key (expected: one of hosts, name, proxy_protocol, upstream, wireguard)",
                        "operators[0].name: \"Alice\" (expected: a name of 1 to 63 characters a-z, 0-9 and '-', not starting or ending with '-')",
                        "operators[0].hosts: empty (expected: at least one host)",
                        "operators[0].upstream.quic: unknown key (expected: one of http, tls)",
                        "operators[0].proxy_protocol: \"v3\" (expected: none, v1 or v2)",
                        "operators[1].name: missing (required)",
                        "operators[1].hosts: \"x.example\" (expected: a list of host names or wildcards)",
                        "operators[1].upstream: missing (expected: exactly one of upstream, wireguard)",
                        "operators[2].upstream: no address (expected: at least one of http, tls)");
        assertThat(p)
                .anyMatch(
                        s -> s.startsWith(
                                "operators[0].upstream.http: \"app.internal:8080\" (expected: host:port with an IP literal host (no DNS"));
        assertThat(p).anyMatch(s -> s.startsWith("operators[0].upstream.tls: \"127.0.0.1:0\" (expected:"));
        assertThat(p).hasSize(11);
    }

    @Test
    void rejectsDuplicateNamesAndHostsOwnedTwice() {
        List<String> p = problems("""
                operators:
                  - { name: a, hosts: [x.example, "*.y.example"], upstream: { http: "127.0.0.1:1" } }
                  - { name: a, hosts: [z.example], upstream: { http: "127.0.0.1:1" } }
                  - { name: b, hosts: [X.example, "*.Y.example", w.example, w.example], upstream: { http: "127.0.0.1:1" } }
                """);
        assertThat(p)
                .containsExactlyInAnyOrder(
                        "operators[1].name: \"a\" (expected: a name not already used by operators[0])",
                        "operators[2].hosts[0]: \"x.example\" (expected: a host not already owned by operator \"a\")",
                        "operators[2].hosts[1]: \"*.y.example\" (expected: a host not already owned by operator \"a\")",
                        "operators[2].hosts[3]: \"w.example\" (expected: each host once)",
                        "operators[2].hosts[3]: \"w.example\" (expected: a host not already owned by operator \"b\")");
    }

    @Test
    void aWildcardOwnsItsSubtreeWhicheverEntryComesFirst() {
        assertThat(problems("""
                operators:
                  - { name: alice, hosts: ["*.alice.example.test"], upstream: { http: "127.0.0.1:1" } }
                  - { name: bob, hosts: [login.alice.example.test, "*.login.alice.example.test", b.example], upstream: { http: "127.0.0.1:1" } }
                """))
                .containsExactly(
                        "operators[1].hosts[0]: \"login.alice.example.test\" of operator \"bob\" (expected: a host outside \"*.alice.example.test\" of operator \"alice\")",
                        "operators[1].hosts[1]: \"*.login.alice.example.test\" of operator \"bob\" (expected: a host outside \"*.alice.example.test\" of operator \"alice\")");
        assertThat(problems("""
                operators:
                  - { name: carol, hosts: ["*.deep.login.alice.example.test"], upstream: { http: "127.0.0.1:1" } }
                  - { name: alice, hosts: [alice.example.test, "*.alice.example.test"], upstream: { http: "127.0.0.1:1" } }
                """))
                .containsExactly(
                        "operators[1].hosts[1]: \"*.alice.example.test\" of operator \"alice\" (expected: a wildcard over no other operator's host, but it covers \"*.deep.login.alice.example.test\" of operator \"carol\")");
    }

    @Test
    void theNameAboveAWildcardAndAnOperatorsOwnNamesUnderItAreNoConflict() {
        assertThat(ok("""
                operators:
                  - { name: alice, hosts: ["*.alice.example.test", www.alice.example.test, "*.eu.alice.example.test"], upstream: { http: "127.0.0.1:1" } }
                  - { name: bob, hosts: [alice.example.test, bob.example.test, "*.bob.example.test", example.test], upstream: { http: "127.0.0.1:1" } }
                  - { name: carol, hosts: ["*.lice.example.test", "*.alice.example.testing"], upstream: { http: "127.0.0.1:1" } }
                """)).extracting(Operator::name).containsExactly("alice", "bob", "carol");
    }

    @Test
    void validatesOneOperatorForTheAdminApi() {
        Operator op = new Operator("ok", List.of("Upper.example", "*.com"), null, ProxyProtocol.NONE);
        assertThat(OperatorsFile.validate(op, "body").stream().map(ConfigProblem::toString))
                .containsExactly(
                        "body.hosts[0]: \"Upper.example\" (expected: lowercase, no trailing dot: \"upper.example\")",
                        "body.hosts[1]: \"*.com\" (expected: a wildcard with at least two labels after \"*.\")",
                        "body.upstream: missing (expected: exactly one of upstream, wireguard)");
    }

    @Test
    void reportsARootThatIsNotAMapping() {
        assertThat(problems("operators: {a: 1}\n"))
                .containsExactly("operators: a mapping (expected: a list of operators)");
        assertThat(problems("operator: []\n")).containsExactly("operator: unknown key (expected: one of operators)");
    }

    /** An admin API body is one entry of the file read from its JSON tree: same rules, same messages. */
    @Test
    void oneEntryFromAJsonTreeIsCheckedAsInTheFile() {
        String entry = "{\"name\":\"-bob\",\"hosts\":[\"*.com\",\"b.example.test\",\"b.example.test\"],"
                + "\"upstream\":{\"http\":\"localhost:80\"},\"proxy_protocol\":\"v9\",\"extra\":1}";
        List<String> fromFile = problems("operators:\n  - " + entry + "\n").stream()
                .map(p -> p.replace("operators[0]", "operator"))
                .toList();
        Parsed<Operator> parsed =
                OperatorsFile.parseOperator(JsonMapper.shared().readTree(entry), "operator", "request body");
        assertThat(parsed).isInstanceOf(Parsed.Invalid.class);
        List<String> fromTree = ((Parsed.Invalid<Operator>) parsed)
                .problems().stream().map(ConfigProblem::toString).toList();
        assertThat(fromTree).isNotEmpty().isEqualTo(fromFile);
        assertThat(fromTree).anySatisfy(p -> assertThat(p).startsWith("operator.extra: unknown key"));

        String valid = "{\"name\":\"bob\",\"hosts\":[\"B.Example.Test.\"],\"upstream\":{\"tls\":\"[::1]:9443\"}}";
        assertThat(OperatorsFile.parseOperator(JsonMapper.shared().readTree(valid), "operator", "request body"))
                .isEqualTo(new Parsed.Ok<>(new Operator(
                        "bob",
                        List.of("b.example.test"),
                        new Upstream(null, new InetSocketAddress("::1", 9443)),
                        ProxyProtocol.NONE)));
    }

    @Test
    void aHostRepeatedInOneEntryIsReportedAsInTheFile() {
        String entry = "{\"name\":\"bob\",\"hosts\":[\"b.example.test\",\"b.example.test\"],"
                + "\"upstream\":{\"http\":\"127.0.0.1:80\"}}";
        Parsed<Operator> parsed =
                OperatorsFile.parseOperator(JsonMapper.shared().readTree(entry), "operator", "request body");
        assertThat(((Parsed.Invalid<Operator>) parsed).problems())
                .extracting(ConfigProblem::toString)
                .isEqualTo(problems("operators:\n  - " + entry + "\n").stream()
                        .map(p -> p.replace("operators[0]", "operator"))
                        .toList());
    }
}
