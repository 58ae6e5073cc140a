package dev.mcpsandbox.server.http;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.execution.ExecutionListener;
import dev.mcpsandbox.sandbox.execution.ExecutionOutcome;
import dev.mcpsandbox.sandbox.execution.ExecutionRequest;
import dev.mcpsandbox.sandbox.execution.RunReport;
import dev.mcpsandbox.sandbox.network.NetworkRecord;
import dev.mcpsandbox.sandbox.limits.LimitKind;
import dev.mcpsandbox.sandbox.output.CapturedOutput;
import dev.mcpsandbox.sandbox.output.Harvest;
import dev.mcpsandbox.server.operations.HttpRefusal;
import dev.mcpsandbox.tools.bridge.ToolCallRecord;
import dev.mcpsandbox.server.operations.Metrics;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetricsTest {
    private final AtomicLong now = new AtomicLong();
    private final Metrics metrics = new Metrics(() -> 3, now::get, Clock.systemUTC());

    @Test
    void executions_areCountedByLanguageAndOutcome_fromTheTypedOutcome() {
        ended("python", new ExecutionOutcome.Finished(0, report(List.of(new ToolCallRecord("a.b", true, 3, Optional.empty()),
                new ToolCallRecord("a.c", false, 4, Optional.of("denied"))))));
        ended("python", new ExecutionOutcome.Finished(1, report(List.of())));
        ended("python", new ExecutionOutcome.LimitHit(LimitKind.TIMEOUT, Optional.empty(), report(List.of())));
        ended("python", new ExecutionOutcome.Cancelled(report(List.of())));
        ended("python", new ExecutionOutcome.Stopped("the server is shutting down", Optional.empty()));
        ended(null, new ExecutionOutcome.Rejected("unknown language \"cobol\""));
        ended(null, new ExecutionOutcome.Failed("the sandbox could not run the code"));

        String text = metrics.prometheus();
        assertThat(text)
                .contains("mcp_sandbox_executions_total{language=\"python\",outcome=\"ok\"} 1")
                .contains("mcp_sandbox_executions_total{language=\"python\",outcome=\"error\"} 1")
                .contains("mcp_sandbox_executions_total{language=\"python\",outcome=\"timeout\"} 1")
                .contains("mcp_sandbox_executions_total{language=\"python\",outcome=\"cancelled\"} 1")
                .contains("mcp_sandbox_executions_total{language=\"python\",outcome=\"shutdown\"} 1")
                .contains("mcp_sandbox_executions_total{language=\"other\",outcome=\"rejected\"} 1")
                .contains("mcp_sandbox_executions_total{language=\"other\",outcome=\"sandbox_failure\"} 1")
                .contains("mcp_sandbox_execution_duration_seconds_bucket{language=\"python\",le=\"0.05\"} 0")
                .contains("mcp_sandbox_execution_duration_seconds_bucket{language=\"python\",le=\"0.1\"} 5")
                .doesNotContain("mcp_sandbox_execution_duration_seconds_count{language=\"other\"}")
                .contains("mcp_sandbox_execution_queue_depth 3")
                .contains("mcp_sandbox_code_tool_calls_total{outcome=\"ok\"} 1")
                .contains("mcp_sandbox_code_tool_calls_total{outcome=\"error\"} 1");
        @SuppressWarnings("unchecked")
        Map<String, Object> executions = (Map<String, Object>) metrics.summary().get("executions");
        assertThat(executions.get("total")).isEqualTo(7L);
        assertThat(executions.get("queued")).isEqualTo(3);
    }

    @Test
    @SuppressWarnings("unchecked")
    void networkConnections_areCountedByOutcome_andTheirBytesByDirection_withoutAHostLabel() {
        ended("python", new ExecutionOutcome.Finished(0, report(List.of()).withNetwork(List.of(
                new NetworkRecord("api.example.com", 443, true, 100, 2000, "allowed by \"api.example.com\""),
                new NetworkRecord("evil.example", 443, false, 0, 0, "not on the operator's network.allow list")))));
        assertThat(metrics.prometheus())
                .contains("mcp_sandbox_network_connections_total{outcome=\"allowed\"} 1")
                .contains("mcp_sandbox_network_connections_total{outcome=\"refused\"} 1")
                .contains("mcp_sandbox_network_bytes_total{direction=\"out\"} 100")
                .contains("mcp_sandbox_network_bytes_total{direction=\"in\"} 2000")
                .doesNotContain("evil.example");
        assertThat((Map<String, Long>) metrics.summary().get("network")).containsEntry("allowed", 1L)
                .containsEntry("refused", 1L).containsEntry("bytesIn", 2000L);
    }

    @Test
    void everyLimitName_isALabelOfItsOwn() {
        for (LimitKind limit : LimitKind.values()) {
            ended("python", new ExecutionOutcome.LimitHit(limit, Optional.empty(), report(List.of())));
        }
        String text = metrics.prometheus();
        for (LimitKind limit : LimitKind.values()) {
            assertThat(text).contains("outcome=\"" + limit.wireName() + "\"} 1");
        }
    }

    @Test
    void toolRequests_areCountedByToolAndIsError() {
        SyncToolSpecification spec = metrics.instrument(List.of(tool("execute_code",
                request -> CallToolResult.builder().addTextContent("x").isError(true).build()))).get(0);
        call(spec, "python", "x");
        call(spec, "python", "y");
        assertThat(metrics.prometheus())
                .contains("mcp_sandbox_tool_requests_total{tool=\"execute_code\",outcome=\"error\"} 2")
                .contains("mcp_sandbox_executions_in_flight 0");
    }

    private void ended(String languageId, ExecutionOutcome outcome) {
        metrics.ended(new ExecutionListener.Ended("x1", Instant.EPOCH, ExecutionRequest.of("py", "code"),
                Optional.ofNullable(languageId), Optional.empty(), outcome, Duration.ofMillis(70)));
    }

    private static RunReport report(List<ToolCallRecord> calls) {
        return new RunReport("x1", "python", CapturedOutput.EMPTY, CapturedOutput.EMPTY, Duration.ofMillis(60),
                Optional.empty(), List.of(), ResourceLimits.DEFAULTS, Optional.empty(), calls, Optional.empty(),
                Harvest.Result.NONE);
    }

    @Test
    void aThrowingHandler_isCountedAndStillThrows() {
        SyncToolSpecification spec = metrics.instrument(List.of(tool("validate_code", request -> {
            throw new IllegalStateException("boom");
        }))).get(0);
        assertThatThrownBy(() -> call(spec, "python", "x")).hasMessage("boom");
        assertThat(metrics.prometheus()).contains("mcp_sandbox_tool_requests_total{tool=\"validate_code\",outcome=\"exception\"} 1");
        assertThat(metrics.requestsInFlight()).isZero();
    }

    @Test
    void httpRefusals_areCountedByReason() {
        metrics.refused(HttpRefusal.RATE_LIMITED);
        metrics.refused(HttpRefusal.RATE_LIMITED);
        assertThat(metrics.prometheus()).contains("mcp_sandbox_http_refused_total{reason=\"rate_limited\"} 2")
                .contains("mcp_sandbox_http_refused_total{reason=\"unauthorized\"} 0");
    }

    private static void call(SyncToolSpecification spec, String language, String code) {
        spec.callHandler().apply(null, CallToolRequest.builder(spec.tool().name())
                .arguments(Map.of("language", language, "code", code)).build());
    }

    private static SyncToolSpecification tool(String name, java.util.function.Function<CallToolRequest, CallToolResult> f) {
        Tool tool = Tool.builder(name, Map.of("type", "object")).build();
        return new SyncToolSpecification(tool, (exchange, request) -> f.apply(request));
    }
}
