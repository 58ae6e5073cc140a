package dev.mcpsandbox.server.tools;

import dev.mcpsandbox.server.startup.Starting;
import dev.mcpsandbox.config.LimitsConfig;
import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.execution.CodeRunner;
import dev.mcpsandbox.sandbox.language.DetectedLanguage;
import dev.mcpsandbox.sandbox.session.SessionSummary;
import dev.mcpsandbox.sandbox.language.LanguageCatalog;
import dev.mcpsandbox.sandbox.network.NetworkAccess;
import dev.mcpsandbox.server.transport.Caller;
import dev.mcpsandbox.server.contract.ListLanguagesResult;
import dev.mcpsandbox.server.contract.NoArguments;
import dev.mcpsandbox.server.contract.ToolContract;
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

    private final LanguageCatalog languages;
    private final LimitsConfig limits;
    private final String backend;
    private final Starting<CodeRunner> runner;
    private final ToolContract<NoArguments, ListLanguagesResult> contract;

    public ListLanguagesTool(LanguageCatalog languages, LimitsConfig limits, String backend, Starting<CodeRunner> runner) {
        this.languages = languages;
        this.limits = limits;
        this.backend = backend;
        this.runner = runner;
        this.contract = ToolContract.of(NoArguments.class, ListLanguagesResult.class, Map.of());
    }

    public SyncToolSpecification specification() {
        Tool tool = Tool.builder(NAME, contract.inputSchema())
                .title("Languages")
                .description("Languages execute_code runs here, with versions, limits, and your open sessions.")
                .annotations(new ToolAnnotations(null, true, null, null, false, null))
                // No output schema: every turn's tools/list carries it (issue 17: 4 KB for all tools), and the
                // text content says the same as the structured content.
                .build();
        return SyncToolSpecification.builder().tool(tool).callHandler((exchange, request) -> {
            if (contract.parse(request.arguments()) instanceof ToolContract.Invalid<NoArguments> invalid) {
                return CallToolResult.builder().addTextContent(invalid.message()).isError(true).build();
            }
            ListLanguagesResult result = result(Caller.of(exchange));
            return CallToolResult.builder().content(List.of(new TextContent(text(result))))
                    .structuredContent(contract.structured(result)).isError(false).build();
        }).build();
    }

    private ListLanguagesResult result(String caller) {
        CodeRunner started = runner.await();
        NetworkAccess network = started.network();
        return new ListLanguagesResult(
                languages.available().stream().map(ListLanguagesTool::language).toList(),
                languages.missing().stream().map(m -> new ListLanguagesResult.Unavailable(m.id(), m.reason())).toList(),
                new ListLanguagesResult.Limits(values(limits.defaults()), values(limits.maxima())),
                backend,
                new ListLanguagesResult.Network(network.unavailable().isEmpty(), network.unavailable(), network.allowed(),
                        languages.available().stream().map(DetectedLanguage::id).filter(network::installs).toList()),
                new ListLanguagesResult.Sessions(started.sessionsUnavailable().isEmpty(), started.sessionsUnavailable(),
                        started.sessions(caller).stream().map(ListLanguagesTool::openSession).toList()));
    }

    private static ListLanguagesResult.OpenSession openSession(SessionSummary s) {
        return new ListLanguagesResult.OpenSession(s.name(), s.calls(), s.createdAt().toString(),
                s.lastUsedAt().toString(), s.expiresAt().toString(), s.busy(), s.languages(), s.memoryBytes(),
                s.diskBytes());
    }

    private static ListLanguagesResult.Language language(DetectedLanguage d) {
        return new ListLanguagesResult.Language(d.id(), d.language().displayName(), d.version(),
                d.language().extension(), d.language().aliases(), d.compiled());
    }

    private static Map<String, Long> values(ResourceLimits limits) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (ResourceLimits.Key k : ResourceLimits.Key.values()) {
            m.put(k.jsonName(), limits.get(k));
        }
        return m;
    }

    private static String text(ListLanguagesResult r) {
        StringBuilder b = new StringBuilder();
        for (ListLanguagesResult.Language l : r.languages()) {
            b.append(l.id()).append(' ').append(l.version()).append(" (.").append(l.extension()).append(")\n");
        }
        for (ListLanguagesResult.Unavailable u : r.unavailable()) {
            b.append(u.id()).append(": unavailable — ").append(u.reason()).append('\n');
        }
        Map<String, Long> d = r.limits().defaults();
        Map<String, Long> max = r.limits().maxima();
        b.append("limits (default / max):");
        String separator = " ";
        for (ResourceLimits.Key k : List.of(ResourceLimits.Key.TIMEOUT_SECONDS, ResourceLimits.Key.MEMORY_MB,
                ResourceLimits.Key.PROCESSES, ResourceLimits.Key.OUTPUT_BYTES)) {
            b.append(separator).append(k.jsonName()).append(' ').append(d.get(k.jsonName())).append('/')
                    .append(max.get(k.jsonName()));
            separator = ", ";
        }
        b.append("\nnetwork: ").append(r.network().available()
                ? "network: true reaches " + String.join(", ", r.network().allowed())
                        + (r.network().packageInstalls().isEmpty() ? "" : "; package installs: "
                        + String.join(", ", r.network().packageInstalls()))
                : "none (" + r.network().reason().orElse("") + ")");
        r.sessions().unavailable().ifPresent(why -> b.append("\nsessions: unavailable — ").append(why));
        for (ListLanguagesResult.OpenSession s : r.sessions().open()) {
            b.append("\nsession ").append(s.name()).append(": ").append(s.calls()).append(" calls, opened ")
                    .append(s.createdAt()).append(", ends ").append(s.expiresAt()).append(" unless used")
                    .append(s.languages().isEmpty() ? "" : ", state in " + String.join(", ", s.languages()))
                    .append(s.memoryBytes().map(m -> ", memory " + (m >> 20) + " MB").orElse(""))
                    .append(s.diskBytes().map(bytes -> ", disk " + (bytes >> 20) + " MB").orElse(""));
        }
        return b.toString();
    }
}
