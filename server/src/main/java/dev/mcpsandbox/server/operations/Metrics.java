package dev.mcpsandbox.server.operations;

import dev.mcpsandbox.sandbox.execution.ExecutionListener;
import dev.mcpsandbox.sandbox.execution.ExecutionOutcome;
import dev.mcpsandbox.sandbox.limits.LimitKind;
import dev.mcpsandbox.server.tools.ExecuteCodeTool;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * What the server did. Two sources: every published tool's handler is decorated to count requests (by tool and
 * outcome), and as an {@link ExecutionListener} it hears each execution end with its typed outcome (by language
 * and outcome, latency, tool calls made by the code). One instance per process, shared by every transport, so
 * stdio's {@code mcp-sandbox://stats} resource and HTTP's {@code /metrics} read the same numbers.
 *
 * <p>Every label value comes from a fixed set (outcomes, {@link LimitKind} names, refusal reasons, published tool
 * names, detected language ids, or {@code other}): a client cannot grow the number of series.
 */
public final class Metrics implements ExecutionListener {
    private static final String EXECUTE = ExecuteCodeTool.NAME;

    private final IntSupplier queueDepth;
    private final LongSupplier nanoTime;
    private final Instant since;

    private final ConcurrentMap<ExecutionKey, LongAdder> executions = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, LatencyHistogram> latency = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, LongAdder> codeToolCalls = new ConcurrentHashMap<>();
    private final ConcurrentMap<RequestKey, LongAdder> toolRequests = new ConcurrentHashMap<>();
    private final ConcurrentMap<HttpRefusal, LongAdder> httpRefusals = new ConcurrentHashMap<>();
    /** Connections sandboxed code asked the network proxy for, by outcome (allowed, refused); no host label. */
    private final ConcurrentMap<String, LongAdder> networkConnections = new ConcurrentHashMap<>();
    private final LongAdder networkBytesOut = new LongAdder();
    private final LongAdder networkBytesIn = new LongAdder();
    private final AtomicInteger executionsInFlight = new AtomicInteger();
    private final AtomicInteger requestsInFlight = new AtomicInteger();

    /** @param queueDepth executions waiting for a slot right now */
    public Metrics(IntSupplier queueDepth, LongSupplier nanoTime, Clock clock) {
        this.queueDepth = queueDepth;
        this.nanoTime = nanoTime;
        this.since = clock.instant();
    }

    /** The same specifications, each handler timed and counted. */
    public List<SyncToolSpecification> instrument(List<SyncToolSpecification> tools) {
        List<SyncToolSpecification> out = new ArrayList<>(tools.size());
        for (SyncToolSpecification spec : tools) {
            out.add(new SyncToolSpecification(spec.tool(), decorate(spec.tool().name(), spec.callHandler())));
        }
        return List.copyOf(out);
    }

    private BiFunction<McpSyncServerExchange, CallToolRequest, CallToolResult> decorate(
            String tool, BiFunction<McpSyncServerExchange, CallToolRequest, CallToolResult> handler) {
        boolean execute = EXECUTE.equals(tool);
        return (exchange, request) -> {
            requestsInFlight.incrementAndGet();
            if (execute) {
                executionsInFlight.incrementAndGet();
            }
            CallToolResult result = null;
            try {
                result = handler.apply(exchange, request);
                return result;
            } finally {
                requestsInFlight.decrementAndGet();
                if (execute) {
                    executionsInFlight.decrementAndGet();
                }
                String outcome = result == null ? "exception" : Boolean.TRUE.equals(result.isError()) ? "error" : "ok";
                counter(toolRequests, new RequestKey(tool, outcome)).increment();
            }
        };
    }

    @Override
    public void ended(Ended execution) {
        String language = execution.languageId().orElse("other");
        ExecutionOutcome outcome = execution.outcome();
        counter(executions, new ExecutionKey(language, label(outcome))).increment();
        if (outcome.kind().ran()) {
            latency.computeIfAbsent(language, l -> new LatencyHistogram()).observe(execution.took().toNanos() / 1e9);
        }
        outcome.report().ifPresent(r -> r.toolCalls().forEach(c -> counter(codeToolCalls, c.ok() ? "ok" : "error")
                .increment()));
        outcome.report().ifPresent(r -> r.network().forEach(c -> {
            counter(networkConnections, c.allowed() ? "allowed" : "refused").increment();
            networkBytesOut.add(c.bytesOut());
            networkBytesIn.add(c.bytesIn());
        }));
    }

    /** The outcome label: ok, error (a non-zero exit), a limit's name, cancelled, shutdown, rejected, sandbox_failure. */
    static String label(ExecutionOutcome outcome) {
        return switch (outcome.kind()) {
            case EXITED -> outcome.succeeded() ? "ok" : "error";
            case LIMIT -> outcome.limit().map(LimitKind::wireName).orElse("limit_other");
            case CANCELLED -> "cancelled";
            case STOPPED -> "shutdown";
            case REJECTED -> "rejected";
            case FAILED -> "sandbox_failure";
        };
    }

    /** An HTTP request refused before it reached a transport. */
    public void refused(HttpRefusal reason) {
        counter(httpRefusals, reason).increment();
    }

    /** Tool calls (any published tool) running now; shutdown waits for these. */
    public int requestsInFlight() {
        return requestsInFlight.get();
    }

    private static <K> LongAdder counter(ConcurrentMap<K, LongAdder> map, K key) {
        return map.computeIfAbsent(key, k -> new LongAdder());
    }

    /** The Prometheus text exposition format (version 0.0.4). */
    public String prometheus() {
        PrometheusText p = new PrometheusText();
        p.help("mcp_sandbox_executions_total", "counter", "execute_code calls by language and outcome (ok, error, a limit"
                + " name, cancelled, shutdown, rejected, sandbox_failure).");
        new TreeMap<>(executions).forEach((k, v) -> p.sample("mcp_sandbox_executions_total",
                labels("language", k.language(), "outcome", k.outcome()), v.sum()));
        p.help("mcp_sandbox_execution_duration_seconds", "histogram",
                "Wall-clock time of execute_code calls that reached a sandbox (queue wait included).");
        new TreeMap<>(latency).forEach((language, h) -> h.write(p, "mcp_sandbox_execution_duration_seconds",
                labels("language", language)));
        p.help("mcp_sandbox_execution_queue_depth", "gauge", "Executions waiting for a free slot.");
        p.sample("mcp_sandbox_execution_queue_depth", Map.of(), queueDepth.getAsInt());
        p.help("mcp_sandbox_executions_in_flight", "gauge", "execute_code calls being handled (queued or running).");
        p.sample("mcp_sandbox_executions_in_flight", Map.of(), executionsInFlight.get());
        p.help("mcp_sandbox_code_tool_calls_total", "counter",
                "MCP tool calls made by sandboxed code through the bridge, by outcome (ok, error).");
        for (String outcome : List.of("ok", "error")) {
            p.sample("mcp_sandbox_code_tool_calls_total", labels("outcome", outcome),
                    codeToolCalls.getOrDefault(outcome, new LongAdder()).sum());
        }
        p.help("mcp_sandbox_network_connections_total", "counter",
                "Connections sandboxed code asked the network proxy for, by outcome (allowed, refused).");
        for (String outcome : List.of("allowed", "refused")) {
            p.sample("mcp_sandbox_network_connections_total", labels("outcome", outcome),
                    networkConnections.getOrDefault(outcome, new LongAdder()).sum());
        }
        p.help("mcp_sandbox_network_bytes_total", "counter",
                "Bytes through the network proxy, by direction (out: from the code, in: to it).");
        p.sample("mcp_sandbox_network_bytes_total", labels("direction", "out"), networkBytesOut.sum());
        p.sample("mcp_sandbox_network_bytes_total", labels("direction", "in"), networkBytesIn.sum());
        p.help("mcp_sandbox_tool_requests_total", "counter",
                "Calls of this server's published tools, by tool and outcome (ok, error = isError, exception).");
        new TreeMap<>(toolRequests).forEach((k, v) -> p.sample("mcp_sandbox_tool_requests_total",
                labels("tool", k.tool(), "outcome", k.outcome()), v.sum()));
        p.help("mcp_sandbox_http_refused_total", "counter",
                "HTTP requests refused before reaching a transport, by reason.");
        for (HttpRefusal r : HttpRefusal.values()) {
            p.sample("mcp_sandbox_http_refused_total", labels("reason", r.label()),
                    httpRefusals.getOrDefault(r, new LongAdder()).sum());
        }
        return p.toString();
    }

    /** The same counters as a JSON-ready summary (the {@code mcp-sandbox://stats} resource). */
    public Map<String, Object> summary() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("since", since.toString());
        Map<String, Map<String, Long>> byLanguage = new TreeMap<>();
        new TreeMap<>(executions).forEach((k, v) ->
                byLanguage.computeIfAbsent(k.language(), l -> new TreeMap<>()).put(k.outcome(), v.sum()));
        long total = executions.values().stream().mapToLong(LongAdder::sum).sum();
        Map<String, Object> exec = new LinkedHashMap<>();
        exec.put("total", total);
        exec.put("byLanguageAndOutcome", byLanguage);
        exec.put("inFlight", executionsInFlight.get());
        exec.put("queued", queueDepth.getAsInt());
        Map<String, Object> lat = new TreeMap<>();
        latency.forEach((language, h) -> lat.put(language, h.summary()));
        exec.put("durationMs", lat);
        s.put("executions", exec);
        Map<String, Long> calls = new TreeMap<>();
        codeToolCalls.forEach((k, v) -> calls.put(k, v.sum()));
        s.put("codeToolCalls", calls);
        Map<String, Map<String, Long>> requests = new TreeMap<>();
        toolRequests.forEach((k, v) -> requests.computeIfAbsent(k.tool(), t -> new TreeMap<>()).put(k.outcome(), v.sum()));
        s.put("toolRequests", requests);
        Map<String, Long> network = new TreeMap<>();
        networkConnections.forEach((k, v) -> network.put(k, v.sum()));
        network.put("bytesOut", networkBytesOut.sum());
        network.put("bytesIn", networkBytesIn.sum());
        s.put("network", network);
        if (!httpRefusals.isEmpty()) {
            Map<String, Long> refused = new TreeMap<>();
            httpRefusals.forEach((k, v) -> refused.put(k.label(), v.sum()));
            s.put("httpRefused", refused);
        }
        return s;
    }

    private static Map<String, String> labels(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private record ExecutionKey(String language, String outcome) implements Comparable<ExecutionKey> {
        @Override
        public int compareTo(ExecutionKey o) {
            int c = language.compareTo(o.language);
            return c != 0 ? c : outcome.compareTo(o.outcome);
        }
    }

    private record RequestKey(String tool, String outcome) implements Comparable<RequestKey> {
        @Override
        public int compareTo(RequestKey o) {
            int c = tool.compareTo(o.tool);
            return c != 0 ? c : outcome.compareTo(o.outcome);
        }
    }
}
