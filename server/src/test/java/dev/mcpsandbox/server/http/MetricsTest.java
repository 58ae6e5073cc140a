package dev.mcpsandbox.server.http;

import dev.mcpsandbox.server.operations.HttpRefusal;
import dev.mcpsandbox.server.operations.Metrics;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetricsTest {
    private final AtomicLong now = new AtomicLong();
    private final Metrics metrics = new Metrics(
            name -> name.equals("python") || name.equals("py") ? Optional.of("python") : Optional.empty(),
            () -> 3, now::get, Clock.systemUTC());

    @Test
    void executeCode_isCountedByLanguageAndOutcome_readFromTheResult() {
        SyncToolSpecification spec = metrics.instrument(List.of(tool("execute_code", request -> {
            now.addAndGet(70_000_000); // 70 ms
            Object code = request.arguments().get("code");
            return switch ((String) code) {
                case "ok" -> result(false, Map.of("exitCode", 0, "toolCalls", List.of(Map.of("tool", "a.b", "ok", true),
                        Map.of("tool", "a.c", "ok", false))));
                case "fail" -> result(true, Map.of("exitCode", 1));
                case "slow" -> result(true, map("exitCode", null, "limitHit", "timeout"));
                default -> result(true, map("exitCode", null, "error", Map.of("type", "invalid_request")));
            };
        }))).get(0);
        call(spec, "py", "ok");
        call(spec, "python", "fail");
        call(spec, "python", "slow");
        call(spec, "cobol", "rejected");

        String text = metrics.prometheus();
        assertThat(text)
                .contains("mcp_sandbox_executions_total{language=\"python\",outcome=\"ok\"} 1")
                .contains("mcp_sandbox_executions_total{language=\"python\",outcome=\"error\"} 1")
                .contains("mcp_sandbox_executions_total{language=\"python\",outcome=\"timeout\"} 1")
                .contains("mcp_sandbox_executions_total{language=\"other\",outcome=\"rejected\"} 1")
                .contains("mcp_sandbox_execution_duration_seconds_bucket{language=\"python\",le=\"0.05\"} 0")
                .contains("mcp_sandbox_execution_duration_seconds_bucket{language=\"python\",le=\"0.1\"} 3")
                .contains("mcp_sandbox_execution_duration_seconds_count{language=\"python\"} 3")
                .doesNotContain("mcp_sandbox_execution_duration_seconds_count{language=\"other\"}")
                .contains("mcp_sandbox_execution_queue_depth 3")
                .contains("mcp_sandbox_code_tool_calls_total{outcome=\"ok\"} 1")
                .contains("mcp_sandbox_code_tool_calls_total{outcome=\"error\"} 1")
                .contains("mcp_sandbox_tool_requests_total{tool=\"execute_code\",outcome=\"error\"} 3");
        @SuppressWarnings("unchecked")
        Map<String, Object> executions = (Map<String, Object>) metrics.summary().get("executions");
        assertThat(executions.get("total")).isEqualTo(4L);
        assertThat(executions.get("queued")).isEqualTo(3);
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

    private static CallToolResult result(boolean isError, Map<String, Object> structured) {
        return CallToolResult.builder().addTextContent("x").structuredContent(structured).isError(isError).build();
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
