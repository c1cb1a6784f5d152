package co.airdress.relay.json;

import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one JSON mapper of the management endpoints and of the controller's status: response bodies
 * are records that Jackson writes, their components named in snake_case ({@code routeVersion} is
 * {@code "route_version"}); instants are ISO-8601 text ({@code "2026-11-22T03:50:01Z"}). Map keys
 * are written as they are. Request bodies are read as trees.
 */
public final class JsonBodies {

    public static final JsonMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .build();

    private JsonBodies() {}
}
