package dev.mcpsandbox.server.tools;

import dev.mcpsandbox.sandbox.execution.CodeRunner;
import dev.mcpsandbox.sandbox.execution.ValidationReport;
import dev.mcpsandbox.sandbox.language.AdvisoryScan;
import dev.mcpsandbox.sandbox.language.SyntaxProblem;
import dev.mcpsandbox.tools.discovery.ToolReferences;
import dev.mcpsandbox.tools.policy.PolicyDecision;
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
 * {@code validate_code}: the language's own parser, run inside a sandbox, plus advisory findings.
 * Findings are labelled advisory on every line: the sandbox, not the scan, is the protection.
 */
public final class ValidateCodeTool {
    public static final String NAME = "validate_code";
    static final String ADVISORY_NOTE = "Findings are advisory hints from a pattern scan; they are not a security check"
            + " (the sandbox is). The code may run whatever they say.";

    private final CodeRunner runner;

    public ValidateCodeTool(CodeRunner runner) {
        this.runner = runner;
    }

    public SyncToolSpecification specification() {
        Map<String, Object> input = Schemas.object(Schemas.props(
                "language", Schemas.type("string", "One of: " + runner.languages().availableIds() + "."),
                "code", Schemas.type("string", "The program to check.")), List.of("language", "code"));
        Map<String, Object> problem = Schemas.object(Schemas.props(
                "line", Schemas.nullable("integer", ""), "column", Schemas.nullable("integer", ""),
                "message", Schemas.type("string", "")), List.of("message"));
        Map<String, Object> finding = Schemas.object(Schemas.props(
                "category", Schemas.type("string", ""), "message", Schemas.type("string", ""),
                "line", Schemas.type("integer", ""), "advisory", Schemas.type("boolean", "Always true.")),
                List.of("category", "message", "advisory"));
        Map<String, Object> toolRef = Schemas.object(Schemas.props(
                "name", Schemas.type("string", "Qualified name server.tool, or the name as written when unknown."),
                "line", Schemas.type("integer", ""),
                "allowed", Schemas.type("boolean", "The operator's policy lets the code call it."),
                "needsConfirmation", Schemas.type("boolean", ""),
                "reason", Schemas.type("string", "Why it is not callable, when it is not.")),
                List.of("name", "allowed"));
        Map<String, Object> output = Schemas.object(Schemas.props(
                "valid", Schemas.type("boolean", "True when the language's parser accepts the code."),
                "tools", Schemas.arrayOf(toolRef, "MCP tools the code refers to (code mode), and whether each is allowed."),
                "errors", Schemas.arrayOf(problem, "Syntax errors, with 1-based line and column."),
                "findings", Schemas.arrayOf(finding, ADVISORY_NOTE),
                "note", Schemas.type("string", "")), List.of("valid", "errors", "findings"));
        Tool tool = Tool.builder(NAME, input)
                .title("Check code without running it")
                .description("Parse code with the language's own checker inside the sandbox (Python: compile; JavaScript:"
                        + " node --check; Bash: bash -n) and return syntax errors with line and column, plus advisory"
                        + " findings such as 'opens a network socket' (the sandbox has no network).")
                .annotations(new ToolAnnotations("Check code without running it", true, false, true, false, false))
                .outputSchema(output)
                .build();
        return SyncToolSpecification.builder().tool(tool).callHandler(this::call).build();
    }

    private CallToolResult call(McpSyncServerExchange exchange, CallToolRequest request) {
        Arguments args = new Arguments(request.arguments());
        String language = args.requiredString("language");
        String code = args.requiredString("code");
        if (!args.problems().isEmpty()) {
            return failure(String.join("; ", args.problems()));
        }
        ValidationReport report;
        try {
            report = runner.validate(language, code);
        } catch (IllegalArgumentException | IllegalStateException e) {
            return failure(e.getMessage());
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("valid", report.valid());
        s.put("errors", report.errors().stream().map(ValidateCodeTool::problemJson).toList());
        s.put("findings", report.findings().stream().map(ValidateCodeTool::findingJson).toList());
        List<Map<String, Object>> references = ToolReferences.find(runner.languages().find(language)
                        .map(l -> l.id()).orElse(language), code, runner.tools().knownTools())
                .stream().map(this::referenceJson).toList();
        s.put("tools", references);
        s.put("note", ADVISORY_NOTE);
        StringBuilder text = new StringBuilder(report.valid() ? "valid\n" : "invalid\n");
        report.errors().forEach(e -> text.append("error").append(e.line().map(l -> " line " + l).orElse(""))
                .append(e.column().map(c -> " column " + c).orElse("")).append(": ").append(e.message()).append('\n'));
        references.forEach(r -> text.append("tool ").append(r.get("name")).append(": ")
                .append(Boolean.TRUE.equals(r.get("allowed")) ? "allowed" : "not callable — " + r.get("reason")).append('\n'));
        report.findings().forEach(f -> text.append("advisory (").append(f.category()).append("): ").append(f.message())
                .append('\n'));
        return CallToolResult.builder().content(List.of(new TextContent(text.toString().stripTrailing())))
                .structuredContent(s).isError(false).build();
    }

    private Map<String, Object> referenceJson(ToolReferences.Reference reference) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", reference.name());
        m.put("line", reference.line());
        if (reference.tool().isEmpty()) {
            m.put("allowed", false);
            m.put("needsConfirmation", false);
            m.put("reason", runner.tools().hasServers() ? "no such tool on the available servers (see search_tools)"
                    : "no upstream MCP servers are configured");
            return m;
        }
        PolicyDecision decision = runner.tools().decide(reference.tool().get());
        m.put("allowed", !(decision instanceof PolicyDecision.Deny));
        m.put("needsConfirmation", decision instanceof PolicyDecision.Confirm);
        if (decision instanceof PolicyDecision.Deny deny) {
            m.put("reason", deny.reason());
        }
        return m;
    }

    private static Map<String, Object> problemJson(SyntaxProblem p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("line", p.line().orElse(null));
        m.put("column", p.column().orElse(null));
        m.put("message", p.message());
        return m;
    }

    private static Map<String, Object> findingJson(AdvisoryScan.Finding f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("category", f.category());
        m.put("message", f.message());
        m.put("line", f.line());
        m.put("advisory", true);
        return m;
    }

    private static CallToolResult failure(String message) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("valid", false);
        s.put("errors", List.of(problemJson(new SyntaxProblem(java.util.Optional.empty(), java.util.Optional.empty(), message))));
        s.put("findings", List.of());
        s.put("tools", List.of());
        s.put("note", message);
        return CallToolResult.builder().content(List.of(new TextContent("not checked: " + message)))
                .structuredContent(s).isError(true).build();
    }
}
