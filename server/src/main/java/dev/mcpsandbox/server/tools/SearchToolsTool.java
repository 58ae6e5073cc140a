package dev.mcpsandbox.server.tools;

import dev.mcpsandbox.tools.ToolLayer;
import dev.mcpsandbox.tools.discovery.CallSnippet;
import dev.mcpsandbox.tools.discovery.ToolSearch;
import dev.mcpsandbox.tools.policy.PolicyDecision;
import dev.mcpsandbox.tools.registry.ServerStatus;
import dev.mcpsandbox.tools.registry.ToolDescriptor;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import io.modelcontextprotocol.spec.McpSchema.ToolAnnotations;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code search_tools}: finds the upstream tools sandboxed code may call, so a model loads only the
 * schemas it needs. Brief by default; {@code detail: true} adds each match's input schema and a
 * ready-to-paste call in the requested language.
 */
public final class SearchToolsTool {
    public static final String NAME = "search_tools";
    private static final int DEFAULT_LIMIT = 10;

    private final ToolLayer tools;

    public SearchToolsTool(ToolLayer tools) {
        this.tools = tools;
    }

    public SyncToolSpecification specification() {
        Map<String, Object> input = Schemas.object(Schemas.props(
                "query", Schemas.type("string", "Words to look for in tool names and descriptions; empty lists all."),
                "detail", Schemas.type("boolean", "Also return each tool's input schema and a ready-to-paste call."),
                "language", Schemas.type("string", "Language of the example call (python, javascript, bash); default python."),
                "limit", Schemas.type("integer", "At most this many matches (default " + DEFAULT_LIMIT + ").")),
                List.of());
        Map<String, Object> match = Schemas.object(Schemas.props(
                "name", Schemas.type("string", "Qualified name, server.tool."),
                "description", Schemas.type("string", ""),
                "needsConfirmation", Schemas.type("boolean", "A human must approve each call."),
                "inputSchema", Schemas.type("object", "With detail: true."),
                "example", Schemas.type("string", "With detail: true: a call in the requested language.")),
                List.of("name", "description"));
        Map<String, Object> server = Schemas.object(Schemas.props(
                "name", Schemas.type("string", ""), "state", Schemas.type("string", ""),
                "detail", Schemas.type("string", "")), List.of("name", "state"));
        Map<String, Object> output = Schemas.object(Schemas.props(
                "tools", Schemas.arrayOf(match, "Matching tools the code may call."),
                "servers", Schemas.arrayOf(server, "Upstream servers and whether they are available.")),
                List.of("tools", "servers"));
        Tool tool = Tool.builder(NAME, input)
                .title("Find tools sandboxed code can call")
                .description("Search the MCP tools that code run by execute_code may call (code mode). Returns names and"
                        + " descriptions; with detail: true also input schemas and a ready-to-paste call. In code:"
                        + " Python tools.<server>.<tool>(**args), JavaScript await tools.<server>.<tool>({...}),"
                        + " Bash `tool server.tool '{json}'`. Typed stubs of all tools: resources mcp-sandbox://tools/python"
                        + " and mcp-sandbox://tools/typescript.")
                .annotations(new ToolAnnotations("Find tools sandboxed code can call", true, false, true, false, false))
                .outputSchema(output)
                .build();
        return SyncToolSpecification.builder().tool(tool).callHandler(this::call).build();
    }

    private CallToolResult call(McpSyncServerExchange exchange, CallToolRequest request) {
        Arguments args = new Arguments(request.arguments());
        String query = args.optionalString("query").orElse("");
        boolean detail = args.optionalBoolean("detail", false);
        String language = args.optionalString("language").orElse("python");
        long limit = args.optionalWholeNumber("limit").orElse((long) DEFAULT_LIMIT);
        if (limit < 1 || limit > 200) {
            args.problem("\"limit\" must be from 1 to 200");
        }
        if (!args.problems().isEmpty()) {
            return CallToolResult.builder().addTextContent(String.join("; ", args.problems())).isError(true).build();
        }
        List<ToolSearch.Match> matches = ToolSearch.search(tools.visibleTools(), query, (int) limit);
        StringBuilder text = new StringBuilder();
        List<Map<String, Object>> found = matches.stream().map(m -> {
            ToolDescriptor t = m.tool();
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", t.name().qualified());
            entry.put("description", t.description());
            entry.put("needsConfirmation", tools.decide(t) instanceof PolicyDecision.Confirm);
            text.append(t.name().qualified()).append(": ").append(firstLine(t.description())).append('\n');
            if (detail) {
                entry.put("inputSchema", t.inputSchema());
                String example = CallSnippet.forLanguage(t, language);
                entry.put("example", example);
                text.append("  example: ").append(example).append('\n');
            }
            return entry;
        }).toList();
        List<Map<String, Object>> servers = tools.servers().stream().map(SearchToolsTool::serverJson).toList();
        tools.servers().stream().filter(s -> !s.available())
                .forEach(s -> text.append("server ").append(s.server()).append(" is unavailable: ").append(s.detail()).append('\n'));
        if (found.isEmpty()) {
            text.append(tools.hasServers() ? "no callable tool matches \"" + query + "\"" : "no upstream MCP servers are"
                    + " configured, so sandboxed code cannot call tools (tools.result still works)");
        }
        return CallToolResult.builder().content(List.of(new TextContent(text.toString().strip())))
                .structuredContent(Map.of("tools", found, "servers", servers)).isError(false).build();
    }

    private static Map<String, Object> serverJson(ServerStatus s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.server());
        m.put("state", s.state().name().toLowerCase());
        m.put("detail", s.detail());
        return m;
    }

    private static String firstLine(String text) {
        String line = text.strip().lines().findFirst().orElse("");
        return line.length() <= 200 ? line : line.substring(0, 200) + "…";
    }
}
