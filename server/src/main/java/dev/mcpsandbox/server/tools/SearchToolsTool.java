package dev.mcpsandbox.server.tools;

import dev.mcpsandbox.server.startup.Starting;
import dev.mcpsandbox.server.contract.SearchToolsArguments;
import dev.mcpsandbox.server.contract.SearchToolsResult;
import dev.mcpsandbox.server.contract.ToolContract;
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

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code search_tools}: finds the upstream tools sandboxed code may call, so a model loads only the
 * schemas it needs. Brief by default; {@code detail: true} adds each match's input schema and a
 * ready-to-paste call in the requested language.
 */
public final class SearchToolsTool {
    public static final String NAME = "search_tools";
    private static final int DEFAULT_LIMIT = 10;
    private static final int MAX_LIMIT = 200;

    private final Starting<ToolLayer> tools;
    private final ToolContract<SearchToolsArguments, SearchToolsResult> contract = ToolContract.of(
            SearchToolsArguments.class, SearchToolsResult.class,
            Map.of("searchLimit.default", Integer.toString(DEFAULT_LIMIT), "searchLimit.max", Integer.toString(MAX_LIMIT)));

    public SearchToolsTool(Starting<ToolLayer> tools) {
        this.tools = tools;
    }

    public SyncToolSpecification specification() {
        Tool tool = Tool.builder(NAME, contract.inputSchema())
                .title("Find callable tools")
                .description("Find the MCP tools code may call. Python: tools.<server>.<tool>(**args); JavaScript:"
                        + " await tools.<server>.<tool>({...}); others: `tool server.tool '{json}'`.")
                .annotations(new ToolAnnotations(null, true, null, null, false, null))
                // No output schema: every turn's tools/list carries it (issue 17: 4 KB for all tools), and the
                // text content says the same as the structured content.
                .build();
        return SyncToolSpecification.builder().tool(tool).callHandler(this::call).build();
    }

    private CallToolResult call(McpSyncServerExchange exchange, CallToolRequest request) {
        ToolContract.Parsed<SearchToolsArguments> parsed = contract.parse(request.arguments());
        if (parsed instanceof ToolContract.Invalid<SearchToolsArguments> invalid) {
            return CallToolResult.builder().addTextContent(invalid.message()).isError(true).build();
        }
        SearchToolsArguments args = ((ToolContract.Valid<SearchToolsArguments>) parsed).arguments();
        long limit = args.limit().orElse((long) DEFAULT_LIMIT);
        if (limit < 1 || limit > MAX_LIMIT) {
            return CallToolResult.builder().addTextContent("\"limit\" must be from 1 to " + MAX_LIMIT).isError(true)
                    .build();
        }
        boolean detail = args.detail().orElse(false);
        String language = args.language().orElse("python");
        String query = args.query().orElse("");
        List<SearchToolsResult.Match> found = ToolSearch.search(tools.await().visibleTools(), query, (int) limit).stream()
                .map(m -> match(m.tool(), detail, language)).toList();
        SearchToolsResult result = new SearchToolsResult(found,
                tools.await().servers().stream().map(SearchToolsTool::server).toList());
        return CallToolResult.builder().content(List.of(new TextContent(text(result, query))))
                .structuredContent(contract.structured(result)).isError(false).build();
    }

    private SearchToolsResult.Match match(ToolDescriptor t, boolean detail, String language) {
        return new SearchToolsResult.Match(t.name().qualified(), t.description(),
                tools.await().decide(t) instanceof PolicyDecision.Confirm,
                detail ? Optional.of(t.inputSchema()) : Optional.empty(),
                detail ? Optional.of(CallSnippet.forLanguage(t, language)) : Optional.empty());
    }

    private String text(SearchToolsResult result, String query) {
        StringBuilder text = new StringBuilder();
        for (SearchToolsResult.Match m : result.tools()) {
            text.append(m.name()).append(": ").append(firstLine(m.description())).append('\n');
            m.example().ifPresent(e -> text.append("  example: ").append(e).append('\n'));
        }
        result.servers().stream().filter(s -> !s.state().equals(available()))
                .forEach(s -> text.append("server ").append(s.name()).append(" is unavailable: ").append(s.detail())
                        .append('\n'));
        if (result.tools().isEmpty()) {
            text.append(tools.await().hasServers() ? "no callable tool matches \"" + query + "\"" : "no upstream MCP servers are"
                    + " configured, so sandboxed code cannot call tools (tools.result still works)");
        }
        return text.toString().strip();
    }

    private static String available() {
        return ServerStatus.State.AVAILABLE.name().toLowerCase(Locale.ROOT);
    }

    private static SearchToolsResult.Server server(ServerStatus s) {
        return new SearchToolsResult.Server(s.server(), s.state().name().toLowerCase(Locale.ROOT), s.detail());
    }

    private static String firstLine(String text) {
        String line = text.strip().lines().findFirst().orElse("");
        return line.length() <= 200 ? line : line.substring(0, 200) + "…";
    }
}
