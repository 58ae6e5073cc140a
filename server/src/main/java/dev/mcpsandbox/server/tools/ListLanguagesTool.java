package dev.mcpsandbox.server.tools;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.execution.CodeRunner;
import dev.mcpsandbox.sandbox.language.DetectedLanguage;
import dev.mcpsandbox.sandbox.language.MissingLanguage;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import io.modelcontextprotocol.spec.McpSchema.ToolAnnotations;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code list_languages}: what this installation can run right now, with versions and limits. */
public final class ListLanguagesTool {
    public static final String NAME = "list_languages";

    private final CodeRunner runner;
    private final String backend;

    public ListLanguagesTool(CodeRunner runner, String backend) {
        this.runner = runner;
        this.backend = backend;
    }

    public SyncToolSpecification specification() {
        Map<String, Object> language = Schemas.object(Schemas.props(
                "id", Schemas.type("string", "Pass this as execute_code's language."),
                "name", Schemas.type("string", ""), "version", Schemas.type("string", ""),
                "extension", Schemas.type("string", ""),
                "aliases", Schemas.arrayOf(Schemas.type("string", ""), ""),
                "compiled", Schemas.type("boolean", "Compiled before it runs; repeated programs come from the build"
                        + " cache.")), List.of("id", "version", "extension"));
        Map<String, Object> missing = Schemas.object(Schemas.props(
                "id", Schemas.type("string", ""), "reason", Schemas.type("string", "")), List.of("id", "reason"));
        Map<String, Object> output = Schemas.object(Schemas.props(
                "languages", Schemas.arrayOf(language, "Runnable now."),
                "unavailable", Schemas.arrayOf(missing, "Known but not runnable here, and why."),
                "limits", Schemas.type("object", "defaults: what a run gets; maxima: what it may ask for."),
                "backend", Schemas.type("string", "")), List.of("languages", "limits"));
        Tool tool = Tool.builder(NAME, Schemas.object(Map.of(), List.of()))
                .title("List runnable languages")
                .description("The languages execute_code can run here, with their versions, file extensions, and the"
                        + " default and maximum limits a run may use.")
                .annotations(new ToolAnnotations("List runnable languages", true, false, true, false, false))
                .outputSchema(output)
                .build();
        Map<String, Object> structured = structured();
        String text = text();
        // The answer is fixed at start-up: languages are detected once.
        return SyncToolSpecification.builder().tool(tool).callHandler((exchange, request) -> CallToolResult.builder()
                .content(List.of(new TextContent(text))).structuredContent(structured).isError(false).build()).build();
    }

    private Map<String, Object> structured() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("languages", runner.languages().available().stream().map(ListLanguagesTool::languageJson).toList());
        s.put("unavailable", runner.languages().missing().stream().map(m -> Map.of("id", m.id(), "reason", m.reason()))
                .toList());
        s.put("limits", Map.of("defaults", limitsJson(runner.config().limits().defaults()),
                "maxima", limitsJson(runner.config().limits().maxima())));
        s.put("backend", backend);
        return s;
    }

    private static Map<String, Object> languageJson(DetectedLanguage d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", d.id());
        m.put("name", d.language().displayName());
        m.put("version", d.version());
        m.put("extension", d.language().extension());
        m.put("aliases", d.language().aliases());
        m.put("compiled", d.compiled());
        return m;
    }

    private static Map<String, Object> limitsJson(ResourceLimits limits) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (ResourceLimits.Key k : ResourceLimits.Key.values()) {
            m.put(k.jsonName(), limits.get(k));
        }
        return m;
    }

    private String text() {
        StringBuilder b = new StringBuilder();
        for (DetectedLanguage d : runner.languages().available()) {
            b.append(d.id()).append(' ').append(d.version()).append(" (.").append(d.language().extension()).append(")\n");
        }
        for (MissingLanguage m : runner.languages().missing()) {
            b.append(m.id()).append(": unavailable — ").append(m.reason()).append('\n');
        }
        ResourceLimits d = runner.config().limits().defaults();
        ResourceLimits max = runner.config().limits().maxima();
        b.append("limits (default / max): timeout ").append(d.timeoutSeconds()).append('/').append(max.timeoutSeconds())
                .append(" s, memory ").append(d.memoryMb()).append('/').append(max.memoryMb())
                .append(" MB, processes ").append(d.processes()).append('/').append(max.processes())
                .append(", output ").append(d.outputBytes()).append('/').append(max.outputBytes()).append(" bytes");
        return b.toString();
    }
}
