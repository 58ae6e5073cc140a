package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.language.CodeError;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mcpsandbox.sandbox.output.CapturedOutput;
import dev.mcpsandbox.sandbox.network.NetworkRecord;
import dev.mcpsandbox.sandbox.output.Harvest;
import dev.mcpsandbox.sandbox.session.SessionReport;
import dev.mcpsandbox.tools.bridge.ToolCallRecord;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything observed about one run that reached its sandbox.
 *
 * @param redactions kinds of secrets removed from stdout/stderr (empty when nothing was redacted)
 * @param result     the value the code handed back through the bridge ({@code tools.result})
 * @param toolCalls  every call the code made through the bridge, allowed or refused
 * @param compile    how a compiled language's program was obtained; empty for languages that run their source
 * @param files      what the code left under {@code out/} (in a session: what this call created or changed)
 * @param network    every connection the code asked the network proxy for, allowed or refused
 * @param session    the session the call ran in; empty for a fresh sandbox
 */
public record RunReport(String executionId, String language, CapturedOutput stdout, CapturedOutput stderr,
                        Duration duration, Optional<CodeError> error, List<String> redactions,
                        ResourceLimits limits, Optional<JsonNode> result, List<ToolCallRecord> toolCalls,
                        Optional<CompileReport> compile, Harvest.Result files, List<NetworkRecord> network,
                        Optional<SessionReport> session) {
    public RunReport {
        redactions = List.copyOf(redactions);
        toolCalls = List.copyOf(toolCalls);
        network = List.copyOf(network);
    }

    /** A report of a run in a fresh sandbox, without network connections. */
    public RunReport(String executionId, String language, CapturedOutput stdout, CapturedOutput stderr,
                     Duration duration, Optional<CodeError> error, List<String> redactions,
                     ResourceLimits limits, Optional<JsonNode> result, List<ToolCallRecord> toolCalls,
                     Optional<CompileReport> compile, Harvest.Result files) {
        this(executionId, language, stdout, stderr, duration, error, redactions, limits, result, toolCalls, compile,
                files, List.of(), Optional.empty());
    }

    /** This report with the connections of its run. */
    public RunReport withNetwork(List<NetworkRecord> connections) {
        return new RunReport(executionId, language, stdout, stderr, duration, error, redactions, limits, result,
                toolCalls, compile, files, connections, session);
    }

    /** This report, for a call that ran in {@code session}. */
    public RunReport inSession(SessionReport session) {
        return new RunReport(executionId, language, stdout, stderr, duration, error, redactions, limits, result,
                toolCalls, compile, files, network, Optional.of(session));
    }

    /** This report with {@code value} as its result. */
    public RunReport withResult(Optional<JsonNode> value) {
        return new RunReport(executionId, language, stdout, stderr, duration, error, redactions, limits, value,
                toolCalls, compile, files, network, session);
    }

    /** The report of a run cancelled before its code started: nothing ran, nothing was written. */
    public static RunReport nothingRan(String executionId, String language, ResourceLimits limits,
                                       Optional<CompileReport> compile) {
        return new RunReport(executionId, language, CapturedOutput.EMPTY, CapturedOutput.EMPTY, Duration.ZERO,
                Optional.empty(), List.of(), limits, Optional.empty(), List.of(), compile, Harvest.Result.NONE);
    }

    /** @param cached true when the program came from the build cache and no compiler ran */
    public record CompileReport(boolean cached, Duration duration) {
    }
}
