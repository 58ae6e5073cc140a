package dev.mcpsandbox.tools.bridge;

import dev.mcpsandbox.tools.ToolName;

import java.util.Map;

/**
 * Asks a human whether a tool call on the operator's {@code confirm} list may go ahead. The server
 * implements it with MCP elicitation to the client that made the {@code execute_code} call.
 */
public interface Confirmer {

    /** For clients that cannot ask a human: every confirmation is refused, saying why. */
    Confirmer CANNOT_ASK = (tool, arguments, reason) -> new Confirmation.Declined(
            "needs a human's confirmation, and this client cannot ask for one (it does not support MCP elicitation)");

    Confirmation ask(ToolName tool, Map<String, Object> arguments, String reason);

    sealed interface Confirmation {
        record Approved() implements Confirmation {
        }

        record Declined(String reason) implements Confirmation {
        }
    }
}
