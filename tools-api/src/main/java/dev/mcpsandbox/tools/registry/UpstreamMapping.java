package dev.mcpsandbox.tools.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.tools.ToolName;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** How MCP SDK objects become what the sandbox sees: descriptors and results. No I/O. */
final class UpstreamMapping {

    /** Used to recognise and parse JSON text and to measure results; trailing garbage means "not JSON". */
    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final Map<String, Object> EMPTY_OBJECT_SCHEMA = Map.of("type", "object");

    private UpstreamMapping() {
    }

    /**
     * An SDK tool as a descriptor. {@code readOnly} comes from {@code readOnlyHint} (default false);
     * {@code destructive} from {@code destructiveHint}, which MCP defines as true when absent and only
     * meaningful for tools that are not read-only.
     *
     * @throws IllegalArgumentException when server or tool name cannot form a {@link ToolName}
     */
    static ToolDescriptor descriptor(String server, McpSchema.Tool tool) {
        ToolName name = new ToolName(server, tool.name());
        McpSchema.ToolAnnotations annotations = tool.annotations();
        boolean readOnly = annotations != null && Boolean.TRUE.equals(annotations.readOnlyHint());
        boolean destructive;
        if (readOnly) {
            destructive = false;
        } else if (annotations != null && annotations.destructiveHint() != null) {
            destructive = annotations.destructiveHint();
        } else {
            destructive = true;
        }
        String title = firstText(tool.title(), annotations == null ? null : annotations.title(), tool.name());
        String description = tool.description() == null ? "" : tool.description();
        Map<String, Object> input = tool.inputSchema() == null ? EMPTY_OBJECT_SCHEMA : tool.inputSchema();
        return new ToolDescriptor(name, title, description, input, Optional.ofNullable(tool.outputSchema()),
                readOnly, destructive);
    }

    /** All tools of one listing that form valid names; the others are left out (the caller logs them). */
    static List<ToolDescriptor> descriptors(String server, List<McpSchema.Tool> tools, List<String> rejected) {
        List<ToolDescriptor> out = new ArrayList<>(tools == null ? 0 : tools.size());
        if (tools != null) {
            for (McpSchema.Tool tool : tools) {
                try {
                    out.add(descriptor(server, tool));
                } catch (IllegalArgumentException | NullPointerException e) {
                    rejected.add(String.valueOf(tool.name()) + " (" + e.getMessage() + ")");
                }
            }
        }
        return List.copyOf(out);
    }

    /**
     * A tool result as guest code sees it: the structured content, else the text content parsed as JSON
     * when it is JSON, else the text itself ({@code null} when there is neither).
     */
    static UpstreamResult result(McpSchema.CallToolResult result) {
        String text = text(result.content());
        Object value;
        if (result.structuredContent() != null) {
            value = result.structuredContent();
        } else if (text.isEmpty() && !hasText(result.content())) {
            value = null;
        } else {
            value = parseJsonOrText(text);
        }
        boolean isError = Boolean.TRUE.equals(result.isError());
        return new UpstreamResult(value, text, isError, sizeOf(value));
    }

    /**
     * A JSON-RPC error from the upstream (unknown tool, invalid params, the tool threw): the tool was
     * reached and refused, so it is a result with {@code isError}, its message as text.
     */
    static UpstreamResult error(McpError error) {
        String message = errorMessage(error);
        return new UpstreamResult(message, message, true, sizeOf(message));
    }

    static String errorMessage(McpError error) {
        McpSchema.JSONRPCResponse.JSONRPCError rpc = error.getJsonRpcError();
        String message = rpc != null ? rpc.message() : error.getMessage();
        if (message == null || message.isBlank()) {
            message = error.getMessage();
        }
        if (rpc != null && rpc.data() instanceof String data && !data.isBlank()
                && (message == null || !message.contains(data))) {
            message = (message == null || message.isBlank() ? "" : message + ": ") + data;
        }
        if (message == null || message.isBlank()) {
            message = "error " + (rpc == null ? "" : rpc.code());
        }
        return message;
    }

    /** The text items of a result's content, joined by newlines. */
    static String text(List<McpSchema.Content> content) {
        if (content == null || content.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        boolean first = true;
        for (McpSchema.Content c : content) {
            if (c instanceof McpSchema.TextContent t && t.text() != null) {
                if (!first) {
                    b.append('\n');
                }
                b.append(t.text());
                first = false;
            }
        }
        return b.toString();
    }

    private static boolean hasText(List<McpSchema.Content> content) {
        return content != null && content.stream().anyMatch(c -> c instanceof McpSchema.TextContent);
    }

    /** The JSON value the text holds, or the text itself when it is not (exactly one) JSON value. */
    static Object parseJsonOrText(String text) {
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            return text;
        }
        try {
            return JSON.readValue(trimmed, Object.class);
        } catch (JsonProcessingException e) {
            return text;
        }
    }

    /** Bytes of the value serialised as JSON (UTF-8). */
    static long sizeOf(Object value) {
        try {
            return JSON.writeValueAsBytes(value).length;
        } catch (JsonProcessingException e) {
            return String.valueOf(value).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }
    }

    private static String firstText(String... candidates) {
        for (String c : candidates) {
            if (c != null && !c.isBlank()) {
                return c;
            }
        }
        return "";
    }
}
