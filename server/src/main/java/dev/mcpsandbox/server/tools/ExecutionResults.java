package dev.mcpsandbox.server.tools;

import dev.mcpsandbox.sandbox.execution.ExecutionOutcome;
import dev.mcpsandbox.sandbox.execution.RunReport;
import dev.mcpsandbox.sandbox.language.CodeError;
import dev.mcpsandbox.sandbox.limits.LimitKind;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.tools.bridge.ToolCallRecord;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.BlobResourceContents;
import io.modelcontextprotocol.spec.McpSchema.Content;
import io.modelcontextprotocol.spec.McpSchema.EmbeddedResource;
import io.modelcontextprotocol.spec.McpSchema.ImageContent;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.TextResourceContents;
import dev.mcpsandbox.sandbox.output.ProducedFile;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns an {@link ExecutionOutcome} into the {@code execute_code} result: structured content that
 * matches the published output schema, plus a short text rendering for clients that ignore it.
 */
final class ExecutionResults {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ExecutionResults() {
    }

    static CallToolResult render(ExecutionOutcome outcome) {
        if (outcome instanceof ExecutionOutcome.Finished f) {
            return ran(f.report(), Optional.of(f.exitCode()), Optional.empty(), f.exitCode() != 0, f.report().error());
        }
        if (outcome instanceof ExecutionOutcome.LimitHit l) {
            return ran(l.report(), l.exitCode(), Optional.of(l.limit()), true, l.report().error());
        }
        if (outcome instanceof ExecutionOutcome.Cancelled c) {
            return ran(c.report(), Optional.empty(), Optional.empty(), true,
                    Optional.of(new CodeError("cancelled", "the client cancelled the run", Optional.empty())));
        }
        if (outcome instanceof ExecutionOutcome.Rejected r) {
            return notRun("invalid_request", r.message());
        }
        if (outcome instanceof ExecutionOutcome.Failed f) {
            return notRun("sandbox_failure", f.message());
        }
        throw new IllegalStateException("unknown outcome " + outcome);
    }

    static CallToolResult invalid(List<String> problems) {
        return notRun("invalid_request", String.join("; ", problems));
    }

    private static CallToolResult ran(RunReport report, Optional<Integer> exitCode, Optional<LimitKind> limit,
                                      boolean isError, Optional<CodeError> error) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("exitCode", exitCode.orElse(null));
        s.put("stdout", report.stdout().text());
        s.put("stderr", report.stderr().text());
        s.put("stdoutTruncated", report.stdout().truncated());
        s.put("stderrTruncated", report.stderr().truncated());
        s.put("timedOut", limit.map(l -> l == LimitKind.TIMEOUT).orElse(false));
        s.put("limitHit", limit.map(LimitKind::wireName).orElse(null));
        s.put("durationMs", report.duration().toMillis());
        s.put("result", report.result().map(v -> JSON.convertValue(v, Object.class)).orElse(null));
        s.put("toolCalls", report.toolCalls().stream().map(ExecutionResults::toolCallJson).toList());
        s.put("files", report.files().files().stream().map(ExecutionResults::fileJson).toList());
        s.put("compile", report.compile().map(c -> Map.of("cached", c.cached(), "durationMs", c.duration().toMillis()))
                .orElse(null));
        s.put("error", error.map(ExecutionResults::errorJson).orElse(null));
        s.put("redacted", report.redactions());
        s.put("executionId", report.executionId());

        StringBuilder text = new StringBuilder();
        if (limit.isPresent()) {
            text.append("stopped: ").append(limit.get().wireName()).append(" — ").append(limit.get().explanation());
        } else {
            text.append("exit code ").append(exitCode.map(String::valueOf).orElse("none"));
        }
        text.append(" (").append(report.duration().toMillis()).append(" ms)\n");
        error.ifPresent(e -> text.append("error: ").append(e.type()).append(e.message().isEmpty() ? "" : ": " + e.message())
                .append(e.line().map(l -> " (line " + l + ")").orElse("")).append('\n'));
        report.result().ifPresent(v -> text.append("result: ").append(abbreviate(v.toString(), 2000)).append('\n'));
        if (!report.toolCalls().isEmpty()) {
            long failed = report.toolCalls().stream().filter(c -> !c.ok()).count();
            text.append("tool calls: ").append(report.toolCalls().size())
                    .append(failed > 0 ? " (" + failed + " refused or failed)" : "").append('\n');
        }
        section(text, "stdout", report.stdout().text(), report.stdout().truncated());
        section(text, "stderr", report.stderr().text(), report.stderr().truncated());
        if (!report.redactions().isEmpty()) {
            text.append("[secrets redacted from the output: ").append(String.join(", ", report.redactions())).append("]\n");
        }
        report.compile().ifPresent(c -> text.append(c.cached() ? "[program from the build cache]\n"
                : "[compiled in " + c.duration().toMillis() + " ms]\n"));
        List<Content> files = new ArrayList<>();
        for (ProducedFile f : report.files().files()) {
            text.append("file out/").append(f.path()).append(" (").append(f.mimeType()).append(", ").append(f.bytes())
                    .append(" bytes").append(f.content().isPresent() ? "" : ", over the size cap: not returned")
                    .append(")\n");
            f.content().ifPresent(bytes -> files.add(fileContent(report.executionId(), f, bytes)));
        }
        if (report.files().omitted() > 0) {
            text.append(report.files().omitted()).append(" more files under out/ not listed\n");
        }
        List<Content> content = new ArrayList<>();
        content.add(new TextContent(text.toString().stripTrailing()));
        content.addAll(files);
        return CallToolResult.builder()
                .content(content)
                .structuredContent(s)
                .isError(isError)
                .build();
    }

    private static void section(StringBuilder text, String name, String body, boolean truncated) {
        if (body.isEmpty() && !truncated) {
            return;
        }
        text.append("--- ").append(name).append(truncated ? " (truncated)" : "").append(" ---\n").append(body);
        if (!body.endsWith("\n")) {
            text.append('\n');
        }
    }

    private static Map<String, Object> toolCallJson(ToolCallRecord call) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tool", call.tool());
        m.put("ok", call.ok());
        m.put("durationMs", call.durationMs());
        m.put("error", call.error().orElse(null));
        return m;
    }

    private static String abbreviate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max) + "…";
    }

    private static Map<String, Object> fileJson(ProducedFile f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("path", "out/" + f.path());
        m.put("mimeType", f.mimeType());
        m.put("bytes", f.bytes());
        m.put("returned", f.content().isPresent());
        return m;
    }

    /** Pictures as image content, other files as embedded resources (text when they are UTF-8 text). */
    private static Content fileContent(String executionId, ProducedFile f, byte[] bytes) {
        if (f.isImage()) {
            return new ImageContent(null, Base64.getEncoder().encodeToString(bytes), f.mimeType());
        }
        String uri = "mcp-sandbox://executions/" + executionId + "/out/" + java.util.Arrays.stream(f.path().split("/"))
                .map(segment -> URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"))
                .collect(java.util.stream.Collectors.joining("/"));
        if (f.isText()) {
            Optional<String> text = utf8(bytes);
            if (text.isPresent()) {
                return new EmbeddedResource(null, new TextResourceContents(uri, f.mimeType(), text.get()));
            }
        }
        return new EmbeddedResource(null, new BlobResourceContents(uri, f.mimeType(),
                Base64.getEncoder().encodeToString(bytes)));
    }

    private static Optional<String> utf8(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString());
        } catch (java.nio.charset.CharacterCodingException e) {
            return Optional.empty();
        }
    }

    private static Map<String, Object> errorJson(CodeError e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", e.type());
        m.put("message", e.message());
        m.put("line", e.line().orElse(null));
        return m;
    }

    /** A request that never ran still answers in the published shape, with the reason in {@code error}. */
    private static CallToolResult notRun(String type, String message) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("exitCode", null);
        s.put("stdout", "");
        s.put("stderr", "");
        s.put("stdoutTruncated", false);
        s.put("stderrTruncated", false);
        s.put("timedOut", false);
        s.put("limitHit", null);
        s.put("durationMs", 0);
        s.put("result", null);
        s.put("toolCalls", List.of());
        s.put("files", List.of());
        s.put("compile", null);
        s.put("error", errorJson(new CodeError(type, message, Optional.empty())));
        return CallToolResult.builder()
                .content(List.of(new TextContent("not run: " + message)))
                .structuredContent(s)
                .isError(true)
                .build();
    }
}
