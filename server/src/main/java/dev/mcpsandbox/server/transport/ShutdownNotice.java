package dev.mcpsandbox.server.transport;

import dev.mcpsandbox.server.tools.ExecuteCodeTool;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Content;
import io.modelcontextprotocol.spec.McpSchema.TextContent;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Says why a run ended when the server itself stopped it on shutdown (after the grace period): the
 * sandbox is killed like any other, and without this the model would read a bare exit code 137.
 * {@code execute_code} results that end while runs are being stopped get {@code error.type
 * "server_shutdown"} and a first line saying so.
 */
final class ShutdownNotice {
    static final String ERROR_TYPE = "server_shutdown";

    private volatile String message;

    /** From now on, runs that end unsuccessfully were stopped by the shutdown. */
    void runsStopped(String why) {
        this.message = why;
    }

    List<SyncToolSpecification> decorate(List<SyncToolSpecification> tools) {
        List<SyncToolSpecification> out = new ArrayList<>(tools.size());
        for (SyncToolSpecification spec : tools) {
            if (!ExecuteCodeTool.NAME.equals(spec.tool().name())) {
                out.add(spec);
                continue;
            }
            out.add(new SyncToolSpecification(spec.tool(), (exchange, request) ->
                    annotate(spec.callHandler().apply(exchange, request))));
        }
        return List.copyOf(out);
    }

    private CallToolResult annotate(CallToolResult result) {
        String why = message;
        if (why == null || result == null || !Boolean.TRUE.equals(result.isError())
                || !(result.structuredContent() instanceof Map<?, ?> structured)) {
            return result;
        }
        Map<String, Object> s = new LinkedHashMap<>();
        structured.forEach((k, v) -> s.put(String.valueOf(k), v));
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("type", ERROR_TYPE);
        error.put("message", why);
        error.put("line", null);
        s.put("error", error);
        List<Content> content = new ArrayList<>();
        content.add(TextContent.builder("stopped: " + why).build());
        if (result.content() != null) {
            content.addAll(result.content());
        }
        return CallToolResult.builder().content(content).structuredContent(s).isError(true).meta(result.meta()).build();
    }
}
