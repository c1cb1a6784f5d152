package co.airdress.relay.management;

import co.airdress.relay.config.ClaimConflict;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A refused request: {@code {"error": ...}}; for an invalid operator also every problem; for a
 * host claimed by another operator (409) the host, the operator asking for it, the owner and the
 * owner's pattern ({@code owner_host}: the same host, the wildcard it is under, or the host the
 * asked-for wildcard would cover).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record ErrorBody(
        String error,
        @Nullable List<String> problems,
        @Nullable String host,
        @Nullable String operator,
        @Nullable String owner,
        @Nullable String ownerHost) {

    static ErrorBody of(String error) {
        return new ErrorBody(error, null, null, null, null, null);
    }

    static ErrorBody invalidOperator(List<String> problems) {
        return new ErrorBody("invalid operator", List.copyOf(problems), null, null, null, null);
    }

    static ErrorBody conflict(ClaimConflict c) {
        return c.kind() == ClaimConflict.Kind.HOST
                ? new ErrorBody(c.message(), null, c.claim(), c.operator(), c.owner(), c.ownerClaim())
                : new ErrorBody(c.message(), null, null, c.operator(), c.owner(), null);
    }
}
