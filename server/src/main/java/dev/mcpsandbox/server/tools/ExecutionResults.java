package dev.mcpsandbox.server.tools;

import dev.mcpsandbox.sandbox.execution.ExecutionOutcome;
import dev.mcpsandbox.sandbox.execution.RunReport;
import dev.mcpsandbox.sandbox.language.CodeError;
import dev.mcpsandbox.sandbox.limits.LimitKind;
import dev.mcpsandbox.sandbox.output.CapturedOutput;
import dev.mcpsandbox.sandbox.output.ProducedFile;
import dev.mcpsandbox.server.contract.ExecuteCodeResult;
import dev.mcpsandbox.server.contract.ExecuteCodeResult.Problem;
import dev.mcpsandbox.server.contract.ToolContract;
import dev.mcpsandbox.tools.bridge.ToolCallRecord;
import io.modelcontextprotocol.spec.McpSchema.BlobResourceContents;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Content;
import io.modelcontextprotocol.spec.McpSchema.EmbeddedResource;
import io.modelcontextprotocol.spec.McpSchema.ImageContent;
import io.modelcontextprotocol.spec.McpSchema.ResourceLink;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import io.modelcontextprotocol.spec.McpSchema.TextResourceContents;

import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * An {@link ExecutionOutcome} as the {@code execute_code} result: first the {@link ExecuteCodeResult} record
 * (the structured content), then, from that record alone, the short text for clients that ignore structured
 * content, then the files under {@code out/} as image or resource content.
 */
final class ExecutionResults {
    /**
     * How much of each stream the text rendering shows: the first {@link #PREVIEW_HEAD} and last {@link #PREVIEW_TAIL}
     * characters. Clients hand the text to the model (Claude Code warns past 10,000 tokens and cuts at 25,000), while
     * the structured content carries all of the captured output once; a longer stream is linked in full from the
     * {@link OutputArchive} instead of being repeated.
     */
    static final int PREVIEW_HEAD = 6144;
    static final int PREVIEW_TAIL = 2048;

    private final ToolContract<?, ExecuteCodeResult> contract;
    private final OutputArchive archive;

    ExecutionResults(ToolContract<?, ExecuteCodeResult> contract, OutputArchive archive) {
        this.contract = contract;
        this.archive = archive;
    }

    CallToolResult render(ExecutionOutcome outcome) {
        ExecuteCodeResult result = record(outcome);
        List<Content> content = new ArrayList<>();
        List<ResourceLink> links = new ArrayList<>();
        content.add(new TextContent(text(result, links)));
        content.addAll(links);
        outcome.report().ifPresent(r -> r.files().files().forEach(f -> f.content()
                .ifPresent(bytes -> content.add(fileContent(r.executionId(), f, bytes)))));
        return CallToolResult.builder()
                .content(content)
                .structuredContent(contract.structured(result))
                .isError(!outcome.succeeded())
                .build();
    }

    static ExecuteCodeResult record(ExecutionOutcome outcome) {
        Optional<RunReport> report = outcome.report();
        CapturedOutput stdout = report.map(RunReport::stdout).orElse(CapturedOutput.EMPTY);
        CapturedOutput stderr = report.map(RunReport::stderr).orElse(CapturedOutput.EMPTY);
        return new ExecuteCodeResult(
                outcome.exitCode(),
                stdout.text(), stderr.text(), stdout.truncated(), stderr.truncated(),
                outcome.limit().filter(l -> l == LimitKind.TIMEOUT).isPresent(),
                outcome.limit(),
                report.map(r -> r.duration().toMillis()).orElse(0L),
                report.flatMap(RunReport::result),
                report.map(r -> r.toolCalls().stream().map(ExecutionResults::toolCall).toList()).orElse(List.of()),
                report.map(r -> r.files().files().stream().map(ExecutionResults::outFile).toList()).orElse(List.of()),
                report.flatMap(RunReport::compile).map(c -> new ExecuteCodeResult.Compile(c.cached(), c.duration().toMillis())),
                problem(outcome),
                report.map(RunReport::redactions).orElse(List.of()),
                report.map(RunReport::executionId).orElse(""),
                report.map(r -> r.network().stream().map(c -> new ExecuteCodeResult.Connection(c.host(), c.port(),
                        c.allowed(), c.bytesOut(), c.bytesIn(), c.reason())).toList()).orElse(List.of()),
                report.flatMap(RunReport::session).map(s -> new ExecuteCodeResult.Session(s.name(), s.calls(),
                        s.createdAt().toString(), s.expiresAt().toString(), s.restarted(), s.reason())));
    }

    /** Why it did not succeed, in the words of {@code error.type}; a plain non-zero exit has the code's own error. */
    private static Optional<Problem> problem(ExecutionOutcome outcome) {
        return switch (outcome.kind()) {
            case EXITED, LIMIT -> outcome.report().flatMap(RunReport::error).map(ExecutionResults::problem);
            case CANCELLED -> Optional.of(new Problem("cancelled", "the client cancelled the run", Optional.empty()));
            case STOPPED -> Optional.of(new Problem("server_shutdown", outcome.detail(), Optional.empty()));
            case REJECTED -> Optional.of(new Problem("invalid_request", outcome.detail(), Optional.empty()));
            case FAILED -> Optional.of(new Problem("sandbox_failure", outcome.detail(), Optional.empty()));
        };
    }

    private static Problem problem(CodeError e) {
        return new Problem(e.type(), e.message(), e.line());
    }

    private static ExecuteCodeResult.ToolCall toolCall(ToolCallRecord call) {
        return new ExecuteCodeResult.ToolCall(call.tool(), call.ok(), call.durationMs(), call.error());
    }

    private static ExecuteCodeResult.OutFile outFile(ProducedFile f) {
        return new ExecuteCodeResult.OutFile("out/" + f.path(), f.mimeType(), f.bytes(), f.content().isPresent());
    }

    /**
     * The text rendering, read from the record: what ended the run, its error, result, output and files. A stream
     * longer than the preview is shown by its head and tail, and its whole text is linked ({@code links}).
     */
    String text(ExecuteCodeResult r, List<ResourceLink> links) {
        StringBuilder text = new StringBuilder();
        if (r.executionId().isEmpty()) {
            // No sandbox ran it: refused, failed before it started, or stopped by a shutdown while queued.
            return r.error().map(e -> (e.type().equals("server_shutdown") ? "stopped: " : "not run: ") + e.message())
                    .orElse("not run");
        }
        r.error().filter(e -> e.type().equals("server_shutdown")).ifPresent(e -> text.append("stopped: ")
                .append(e.message()).append('\n'));
        if (r.limitHit().isPresent()) {
            text.append("stopped: ").append(r.limitHit().get().wireName()).append(" — ")
                    .append(r.limitHit().get().explanation());
        } else {
            text.append("exit code ").append(r.exitCode().map(String::valueOf).orElse("none"));
        }
        text.append(" (").append(r.durationMs()).append(" ms)\n");
        r.error().filter(e -> !e.type().equals("server_shutdown")).ifPresent(e -> text.append("error: ")
                .append(e.type()).append(e.message().isEmpty() ? "" : ": " + e.message())
                .append(e.line().map(l -> " (line " + l + ")").orElse("")).append('\n'));
        r.session().ifPresent(s -> text.append("session ").append(s.name()).append(": call ").append(s.calls())
                .append(", ends ").append(s.expiresAt()).append(" unless used again").append('\n')
                .append(s.reason().map(why -> "session restarted: " + why + "\n").orElse("")));
        r.result().ifPresent(v -> text.append("result: ").append(abbreviate(v.toString(), 2000)).append('\n'));
        if (!r.toolCalls().isEmpty()) {
            long failed = r.toolCalls().stream().filter(c -> !c.ok()).count();
            text.append("tool calls: ").append(r.toolCalls().size())
                    .append(failed > 0 ? " (" + failed + " refused or failed)" : "").append('\n');
        }
        networkLines(text, r.network());
        section(text, "stdout", r.stdout(), r.stdoutTruncated(), links);
        section(text, "stderr", r.stderr(), r.stderrTruncated(), links);
        if (!r.redacted().isEmpty()) {
            text.append("[secrets redacted from the output: ").append(String.join(", ", r.redacted())).append("]\n");
        }
        r.compile().ifPresent(c -> text.append(c.cached() ? "[program from the build cache]\n"
                : "[compiled in " + c.durationMs() + " ms]\n"));
        for (ExecuteCodeResult.OutFile f : r.files()) {
            text.append("file ").append(f.path()).append(" (").append(f.mimeType()).append(", ").append(f.bytes())
                    .append(" bytes").append(f.returned() ? "" : ", over the size cap: not returned").append(")\n");
        }
        return text.toString().stripTrailing();
    }

    /** Connections in short: how many went through, and each refused or cut one with its reason (at most ten). */
    private static void networkLines(StringBuilder text, List<ExecuteCodeResult.Connection> connections) {
        if (connections.isEmpty()) {
            return;
        }
        List<ExecuteCodeResult.Connection> problems = connections.stream()
                .filter(c -> !c.allowed() || c.reason().startsWith("cut")).toList();
        long bytes = connections.stream().mapToLong(c -> c.bytesIn() + c.bytesOut()).sum();
        text.append("network: ").append(connections.size()).append(" connection").append(connections.size() == 1 ? "" : "s")
                .append(", ").append(bytes).append(" bytes").append(problems.isEmpty() ? "" : ", " + problems.size()
                        + " refused or cut").append('\n');
        problems.stream().limit(10).forEach(c -> text.append("  ").append(c.host()).append(':').append(c.port())
                .append(": ").append(c.reason()).append('\n'));
    }

    private void section(StringBuilder text, String name, String body, boolean truncated,
                         List<ResourceLink> links) {
        if (body.isEmpty() && !truncated) {
            return;
        }
        text.append("--- ").append(name).append(truncated ? " (truncated at the output limit)" : "");
        if (body.length() <= PREVIEW_HEAD + PREVIEW_TAIL) {
            text.append(" ---\n").append(body);
        } else {
            String uri = archive.keep(name, body);
            int omitted = body.length() - PREVIEW_HEAD - PREVIEW_TAIL;
            text.append(" (").append(body.length()).append(" characters; the first ").append(PREVIEW_HEAD)
                    .append(" and the last ").append(PREVIEW_TAIL).append(" shown; all of it: ").append(uri).append(") ---\n")
                    .append(body, 0, PREVIEW_HEAD)
                    .append("\n[… ").append(omitted).append(" characters not shown …]\n")
                    .append(body, body.length() - PREVIEW_TAIL, body.length());
            links.add(ResourceLink.builder().uri(uri).name(name).title("The whole " + name + " of the run")
                    .mimeType("text/plain").size((long) body.getBytes(StandardCharsets.UTF_8).length).build());
        }
        if (!body.endsWith("\n")) {
            text.append('\n');
        }
    }

    private static String abbreviate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max) + "…";
    }

    /** Pictures as image content, other files as embedded resources (text when they are UTF-8 text). */
    private static Content fileContent(String executionId, ProducedFile f, byte[] bytes) {
        if (f.isImage()) {
            return new ImageContent(null, Base64.getEncoder().encodeToString(bytes), f.mimeType());
        }
        String uri = "mcp-sandbox://executions/" + executionId + "/out/" + Arrays.stream(f.path().split("/"))
                .map(segment -> URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"))
                .collect(Collectors.joining("/"));
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
            return Optional.of(StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
