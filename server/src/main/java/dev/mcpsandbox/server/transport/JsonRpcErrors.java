package dev.mcpsandbox.server.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** JSON-RPC error responses the transports write themselves, before a message reaches the SDK. */
final class JsonRpcErrors {
    static final int INVALID_REQUEST = -32600;
    static final String NO_BATCHES = "Invalid Request: JSON-RPC batches are not supported in MCP protocol version"
            + " 2025-06-18 and later; send one message at a time";

    private JsonRpcErrors() {
    }

    /** One error response; a null or unusable id becomes {@code "id": null}. */
    static ObjectNode one(JsonNode id, int code, String message, ObjectMapper json) {
        ObjectNode error = json.createObjectNode();
        error.put("jsonrpc", "2.0");
        if (id != null && (id.isTextual() || id.isIntegralNumber())) {
            error.set("id", id);
        } else {
            error.putNull("id");
        }
        ObjectNode body = error.putObject("error");
        body.put("code", code);
        body.put("message", message);
        return error;
    }

    /**
     * The answer to a batch, as JSON-RPC answers batches: an array with an error for each request in it,
     * under its own id, so a client waiting on those ids hears back (a single error with a null id matches
     * none of them). A batch with no request in it gets that single error.
     */
    static JsonNode forBatch(JsonNode batch, ObjectMapper json) {
        ArrayNode answers = json.createArrayNode();
        for (JsonNode element : batch) {
            JsonNode id = element.get("id");
            if (element.path("method").isTextual() && id != null && (id.isTextual() || id.isIntegralNumber())) {
                answers.add(one(id, INVALID_REQUEST, NO_BATCHES, json));
            }
        }
        return answers.isEmpty() ? one(null, INVALID_REQUEST, NO_BATCHES, json) : answers;
    }
}
