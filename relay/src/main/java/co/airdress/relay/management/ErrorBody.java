package co.airdress.relay.management;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A refused request: {@code {"error": ...}}; for an invalid operator also every problem, for a
 * host owned by another operator (409) the host and its owner.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record ErrorBody(
        String error,
        @Nullable List<String> problems,
        @Nullable String host,
        @Nullable String owner) {

    static ErrorBody of(String error) {
        return new ErrorBody(error, null, null, null);
    }

    static ErrorBody invalidOperator(List<String> problems) {
        return new ErrorBody("invalid operator", List.copyOf(problems), null, null);
    }

    static ErrorBody conflict(String host, String owner) {
        return new ErrorBody("host " + host + " belongs to operator " + owner, null, host, owner);
    }
}
