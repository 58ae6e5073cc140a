package dev.mcpsandbox.server.tools;

import dev.mcpsandbox.server.startup.Starting;
import dev.mcpsandbox.sandbox.execution.CodeRunner;
import dev.mcpsandbox.server.transport.Caller;
import dev.mcpsandbox.server.contract.EndSessionArguments;
import dev.mcpsandbox.server.contract.EndSessionResult;
import dev.mcpsandbox.server.contract.ToolContract;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import io.modelcontextprotocol.spec.McpSchema.ToolAnnotations;

import java.util.List;
import java.util.Map;

/** {@code end_session}: frees one of the caller's sessions now, its sandbox, processes and files. */
public final class EndSessionTool {
    public static final String NAME = "end_session";

    private final Starting<CodeRunner> runner;
    private final ToolContract<EndSessionArguments, EndSessionResult> contract;

    public EndSessionTool(Starting<CodeRunner> runner) {
        this.runner = runner;
        this.contract = ToolContract.of(EndSessionArguments.class, EndSessionResult.class, Map.of());
    }

    public SyncToolSpecification specification() {
        Tool tool = Tool.builder(NAME, contract.inputSchema())
                .title("End session")
                .description("End a session, discarding its state and files.")
                // Only what differs from the protocol's defaults (see ExecuteCodeTool): idempotent, no open world.
                .annotations(new ToolAnnotations(null, null, null, true, false, null))
                .build();
        return SyncToolSpecification.builder().tool(tool).callHandler(this::call).build();
    }

    private CallToolResult call(McpSyncServerExchange exchange, CallToolRequest request) {
        ToolContract.Parsed<EndSessionArguments> parsed = contract.parse(request.arguments());
        if (parsed instanceof ToolContract.Invalid<EndSessionArguments> invalid) {
            return answer(new EndSessionResult(false, invalid.message()), true);
        }
        String name = ((ToolContract.Valid<EndSessionArguments>) parsed).arguments().session();
        String caller = Caller.of(exchange);
        if (runner.await().endSession(caller, name)) {
            return answer(new EndSessionResult(true, "session \"" + name + "\" ended: its sandbox, processes and files"
                    + " are gone"), false);
        }
        List<String> open = runner.await().sessions(caller).stream().map(s -> s.name()).toList();
        return answer(new EndSessionResult(false, "you have no open session \"" + name + "\" (it may have ended"
                + " already: idle, too old, or a server restart, which no session survives); open: "
                + (open.isEmpty() ? "none" : String.join(", ", open))), false);
    }

    private CallToolResult answer(EndSessionResult result, boolean error) {
        return CallToolResult.builder().content(List.of(new TextContent(result.message())))
                .structuredContent(contract.structured(result)).isError(error).build();
    }
}
