package dev.mcpsandbox.server.tools;

import dev.mcpsandbox.server.startup.Starting;
import dev.mcpsandbox.sandbox.execution.CodeRunner;
import dev.mcpsandbox.sandbox.execution.ValidationOutcome;
import dev.mcpsandbox.sandbox.execution.ValidationReport;
import dev.mcpsandbox.sandbox.language.DetectedLanguage;
import dev.mcpsandbox.sandbox.language.LanguageCatalog;
import dev.mcpsandbox.sandbox.language.SyntaxProblem;
import dev.mcpsandbox.server.contract.ToolContract;
import dev.mcpsandbox.server.contract.ValidateCodeArguments;
import dev.mcpsandbox.server.contract.ValidateCodeResult;
import dev.mcpsandbox.server.contract.ValidateCodeResult.ToolReference;
import dev.mcpsandbox.tools.ToolLayer;
import dev.mcpsandbox.tools.discovery.ToolReferences;
import dev.mcpsandbox.tools.policy.PolicyDecision;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import io.modelcontextprotocol.spec.McpSchema.ToolAnnotations;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code validate_code}: the language's own parser, run inside a sandbox, plus advisory findings.
 * Findings are labelled advisory on every line: the sandbox, not the scan, is the protection.
 */
public final class ValidateCodeTool {
    public static final String NAME = "validate_code";
    static final String ADVISORY_NOTE = "Findings are advisory hints from a pattern scan; they are not a security check"
            + " (the sandbox is). The code may run whatever they say.";

    private final Starting<CodeRunner> runner;
    private final LanguageCatalog languages;
    private final Starting<ToolLayer> tools;
    private final ToolContract<ValidateCodeArguments, ValidateCodeResult> contract;

    public ValidateCodeTool(Starting<CodeRunner> runner, LanguageCatalog languages, Starting<ToolLayer> tools) {
        this.runner = runner;
        this.languages = languages;
        this.tools = tools;
        this.contract = ToolContract.of(ValidateCodeArguments.class, ValidateCodeResult.class,
                Map.of("languages", languages.availableIds(), "advisoryNote", ADVISORY_NOTE));
    }

    public SyncToolSpecification specification() {
        Tool tool = Tool.builder(NAME, contract.inputSchema())
                .title("Check code")
                .description("Check code without running it: syntax errors with line and column, and advisory findings.")
                .annotations(new ToolAnnotations(null, true, null, null, false, null))
                // No output schema: every turn's tools/list carries it (issue 17: 4 KB for all tools), and the
                // text content says the same as the structured content.
                .build();
        return SyncToolSpecification.builder().tool(tool).callHandler(this::call).build();
    }

    private CallToolResult call(McpSyncServerExchange exchange, CallToolRequest request) {
        ToolContract.Parsed<ValidateCodeArguments> parsed = contract.parse(request.arguments());
        if (parsed instanceof ToolContract.Invalid<ValidateCodeArguments> invalid) {
            return notChecked(invalid.message());
        }
        ValidateCodeArguments args = ((ToolContract.Valid<ValidateCodeArguments>) parsed).arguments();
        ValidationOutcome outcome = runner.await().validate(args.language(), args.code());
        if (outcome instanceof ValidationOutcome.Rejected rejected) {
            return notChecked(rejected.message());
        }
        if (outcome instanceof ValidationOutcome.Failed failed) {
            return notChecked(failed.message());
        }
        ValidationReport report = ((ValidationOutcome.Checked) outcome).report();
        String languageId = languages.find(args.language()).map(DetectedLanguage::id).orElse(args.language());
        List<ToolReference> references = ToolReferences.find(languageId, args.code(), tools.await().knownTools()).stream()
                .map(this::reference).toList();
        ValidateCodeResult result = new ValidateCodeResult(report.valid(), references,
                report.errors().stream().map(ValidateCodeTool::syntaxError).toList(),
                report.findings().stream().map(f -> new ValidateCodeResult.Finding(f.category(), f.message(), f.line(),
                        true)).toList(),
                ADVISORY_NOTE);
        return CallToolResult.builder().content(List.of(new TextContent(text(result))))
                .structuredContent(contract.structured(result)).isError(false).build();
    }

    private static String text(ValidateCodeResult r) {
        StringBuilder text = new StringBuilder(r.valid() ? "valid\n" : "invalid\n");
        r.errors().forEach(e -> text.append("error").append(e.line().map(l -> " line " + l).orElse(""))
                .append(e.column().map(c -> " column " + c).orElse("")).append(": ").append(e.message()).append('\n'));
        r.tools().forEach(t -> text.append("tool ").append(t.name()).append(": ")
                .append(t.allowed() ? "allowed" : "not callable — " + t.reason().orElse("")).append('\n'));
        r.findings().forEach(f -> text.append("advisory (").append(f.category()).append("): ").append(f.message())
                .append('\n'));
        return text.toString().stripTrailing();
    }

    private ToolReference reference(ToolReferences.Reference reference) {
        if (reference.tool().isEmpty()) {
            return new ToolReference(reference.name(), reference.line(), false, false,
                    Optional.of(tools.await().hasServers() ? "no such tool on the available servers (see search_tools)"
                            : "no upstream MCP servers are configured"));
        }
        PolicyDecision decision = tools.await().decide(reference.tool().get());
        return new ToolReference(reference.name(), reference.line(), !(decision instanceof PolicyDecision.Deny),
                decision instanceof PolicyDecision.Confirm,
                decision instanceof PolicyDecision.Deny deny ? Optional.of(deny.reason()) : Optional.empty());
    }

    private static ValidateCodeResult.SyntaxError syntaxError(SyntaxProblem p) {
        return new ValidateCodeResult.SyntaxError(p.line(), p.column(), p.message());
    }

    /** Bad input answers in the published shape too, with the reason as the one error. */
    private CallToolResult notChecked(String message) {
        ValidateCodeResult result = new ValidateCodeResult(false, List.of(),
                List.of(new ValidateCodeResult.SyntaxError(Optional.empty(), Optional.empty(), message)), List.of(),
                message);
        return CallToolResult.builder().content(List.of(new TextContent("not checked: " + message)))
                .structuredContent(contract.structured(result)).isError(true).build();
    }
}
