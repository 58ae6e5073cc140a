package dev.mcpsandbox.server.tools;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.tools.ToolName;
import dev.mcpsandbox.tools.bridge.Confirmer;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema.ElicitRequest;
import io.modelcontextprotocol.spec.McpSchema.ElicitResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/**
 * Asks the human at the client that made the {@code execute_code} call, through MCP elicitation,
 * whether a tool call on the operator's confirm list may go ahead. Anything but an explicit "yes"
 * is a refusal: a client without elicitation, a decline, a cancel, a timeout.
 */
final class ElicitingConfirmer implements Confirmer {
    private static final Logger log = LoggerFactory.getLogger(ElicitingConfirmer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_SHOWN_ARGUMENT_CHARS = 2000;
    private static final Map<String, Object> SCHEMA = Map.of(
            "type", "object",
            "properties", Map.of("approve", Map.of("type", "boolean", "title", "Allow this tool call?")),
            "required", List.of("approve"));

    private final McpSyncServerExchange exchange;

    private ElicitingConfirmer(McpSyncServerExchange exchange) {
        this.exchange = exchange;
    }

    static Confirmer forExchange(McpSyncServerExchange exchange) {
        var capabilities = exchange.getClientCapabilities();
        if (capabilities == null || capabilities.elicitation() == null) {
            return Confirmer.CANNOT_ASK;
        }
        return new ElicitingConfirmer(exchange);
    }

    @Override
    public Confirmation ask(ToolName tool, Map<String, Object> arguments, String reason) {
        String shown;
        try {
            shown = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(arguments);
        } catch (Exception e) {
            shown = String.valueOf(arguments);
        }
        if (shown.length() > MAX_SHOWN_ARGUMENT_CHARS) {
            shown = shown.substring(0, MAX_SHOWN_ARGUMENT_CHARS) + "\n… (" + shown.length() + " characters in all)";
        }
        String message = "Code running in the sandbox wants to call " + tool.qualified() + " (" + reason + ").\n"
                + "Arguments:\n" + shown;
        try {
            ElicitResult result = exchange.createElicitation(ElicitRequest.builder(message, SCHEMA).build());
            if (result.action() == ElicitResult.Action.ACCEPT && result.content() != null
                    && Boolean.TRUE.equals(result.content().get("approve"))) {
                return new Confirmation.Approved();
            }
            return new Confirmation.Declined(result.action() == ElicitResult.Action.ACCEPT
                    ? "the user did not approve it" : "the user answered " + result.action().name().toLowerCase());
        } catch (RuntimeException e) {
            log.warn("elicitation for {} failed: {}", tool, e.getMessage());
            return new Confirmation.Declined("the confirmation request failed: " + e.getMessage());
        }
    }
}
