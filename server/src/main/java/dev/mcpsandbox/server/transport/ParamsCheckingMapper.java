package dev.mcpsandbox.server.transport;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;

import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Map;

/**
 * The SDK's JSON mapper, except that request params which do not fit their request type are the client's
 * mistake: the SDK's handlers convert params with {@link #convertValue}, and a failure there reached the
 * client as -32603 (internal error, with Jackson's text), e.g. for {@code "arguments": "{...}"} sent as a
 * string. Here it becomes -32602 (invalid params) saying what to send. Every transport's server uses it.
 */
final class ParamsCheckingMapper implements McpJsonMapper {
    private final McpJsonMapper mapper;

    ParamsCheckingMapper(McpJsonMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public <T> T convertValue(Object fromValue, Class<T> type) {
        try {
            return mapper.convertValue(fromValue, type);
        } catch (IllegalArgumentException e) {
            throw invalidParamsOr(e, type, fromValue);
        }
    }

    @Override
    public <T> T convertValue(Object fromValue, TypeRef<T> type) {
        try {
            return mapper.convertValue(fromValue, type);
        } catch (IllegalArgumentException e) {
            throw invalidParamsOr(e, type.getType(), fromValue);
        }
    }

    private static RuntimeException invalidParamsOr(IllegalArgumentException e, Type type, Object params) {
        if (!(type instanceof Class<?> c) || !McpSchema.Request.class.isAssignableFrom(c)) {
            return e; // not a request's params: our own conversion, so a server fault as before
        }
        return McpError.builder(McpSchema.ErrorCodes.INVALID_PARAMS).message(problem(params)).build();
    }

    static String problem(Object params) {
        if (params instanceof Map<?, ?> map) {
            Object arguments = map.get("arguments");
            if (arguments != null && !(arguments instanceof Map)) {
                return "Invalid params: \"arguments\" must be a JSON object of the tool's arguments, not "
                        + kind(arguments) + " (send {\"arguments\": {\"language\": ...}}, not a string holding JSON)";
            }
            Object name = map.get("name");
            if (map.containsKey("name") && !(name instanceof String)) {
                return "Invalid params: \"name\" must be a string (the tool's name), not " + kind(name);
            }
            if (map.containsKey("_meta") && !(map.get("_meta") instanceof Map)) {
                return "Invalid params: \"_meta\" must be a JSON object, not " + kind(map.get("_meta"));
            }
        }
        return "Invalid params: the params do not have the shape this method takes; check the field types";
    }

    private static String kind(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof Number) {
            return "a number";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        return value instanceof Iterable<?> ? "an array" : "a " + value.getClass().getSimpleName();
    }

    @Override
    public <T> T readValue(String content, Class<T> type) throws IOException {
        return mapper.readValue(content, type);
    }

    @Override
    public <T> T readValue(byte[] content, Class<T> type) throws IOException {
        return mapper.readValue(content, type);
    }

    @Override
    public <T> T readValue(String content, TypeRef<T> type) throws IOException {
        return mapper.readValue(content, type);
    }

    @Override
    public <T> T readValue(byte[] content, TypeRef<T> type) throws IOException {
        return mapper.readValue(content, type);
    }

    @Override
    public String writeValueAsString(Object value) throws IOException {
        return mapper.writeValueAsString(value);
    }

    @Override
    public byte[] writeValueAsBytes(Object value) throws IOException {
        return mapper.writeValueAsBytes(value);
    }
}
