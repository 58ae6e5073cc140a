package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mcpsandbox.sandbox.limits.LimitKind;

import java.util.List;
import java.util.Optional;

/** The structured result of {@code execute_code}: the wire contract of DESIGN.md. Every field is always present. */
public record ExecuteCodeResult(
        @JsonPropertyDescription("Null when the run was killed or did not run.") Optional<Integer> exitCode,
        String stdout,
        String stderr,
        boolean stdoutTruncated,
        boolean stderrTruncated,
        boolean timedOut,
        @JsonPropertyDescription("The limit that ended the run.") Optional<LimitKind> limitHit,
        long durationMs,
        @JsonPropertyDescription("The JSON value the code handed back (code mode), or null.") Optional<JsonNode> result,
        @JsonPropertyDescription("Tool calls the code made.") List<ToolCall> toolCalls,
        @JsonPropertyDescription("Files the code wrote under out/ in its work directory.") List<OutFile> files,
        @JsonPropertyDescription("Compiled languages: whether the program came from the build cache, and how long"
                + " compiling (or the cache lookup) took.") Optional<Compile> compile,
        @JsonPropertyDescription("A compile or runtime error the model can act on, or why the code did not run.")
        Optional<Problem> error,
        @JsonPropertyDescription("Kinds of secrets removed from stdout/stderr before they were returned.")
        List<String> redacted,
        String executionId,
        @JsonPropertyDescription("Connections the code asked the network proxy for, allowed or refused.")
        List<Connection> network,
        @JsonPropertyDescription("The session the call ran in; null without one.") Optional<Session> session) {

    public ExecuteCodeResult {
        toolCalls = List.copyOf(toolCalls);
        files = List.copyOf(files);
        redacted = List.copyOf(redacted);
        network = List.copyOf(network);
    }

    /** A result without network connections. */
    public ExecuteCodeResult(Optional<Integer> exitCode, String stdout, String stderr, boolean stdoutTruncated,
                             boolean stderrTruncated, boolean timedOut, Optional<LimitKind> limitHit, long durationMs,
                             Optional<JsonNode> result, List<ToolCall> toolCalls, List<OutFile> files,
                             Optional<Compile> compile, Optional<Problem> error, List<String> redacted,
                             String executionId) {
        this(exitCode, stdout, stderr, stdoutTruncated, stderrTruncated, timedOut, limitHit, durationMs, result,
                toolCalls, files, compile, error, redacted, executionId, List.of(), Optional.empty());
    }

    public record Connection(String host, int port, boolean allowed, long bytesOut, long bytesIn,
                             @JsonPropertyDescription("Why it was refused or cut, or the allow pattern that let it through.")
                             String reason) {
    }

    public record ToolCall(String tool, boolean ok, long durationMs, Optional<String> error) {
    }

    public record OutFile(
            @JsonPropertyDescription("Relative to /workspace, e.g. out/chart.png.") String path,
            String mimeType,
            long bytes,
            @JsonPropertyDescription("True when the file is in the result's content (as an image or an embedded"
                    + " resource); false when it was over the size cap.") boolean returned) {
    }

    public record Compile(boolean cached, long durationMs) {
    }

    /**
     * @param restarted what earlier calls left was lost before this one; {@code reason} says why
     */
    public record Session(String name, long calls, String createdAt,
                          @JsonPropertyDescription("Ends then unless used again.") String expiresAt,
                          @JsonPropertyDescription("Earlier state was lost; reason says why.") boolean restarted,
                          Optional<String> reason) {
    }

    /**
     * @param type {@code compile}, {@code runtime}, …, {@code cancelled}, {@code invalid_request},
     *             {@code sandbox_failure} or {@code server_shutdown}
     */
    public record Problem(String type, String message,
                          @JsonPropertyDescription("Line in the submitted code.") Optional<Integer> line) {
    }
}
