package dev.mcpsandbox.tools.bridge;

import dev.mcpsandbox.tools.ToolName;
import dev.mcpsandbox.tools.audit.AuditEvent;
import dev.mcpsandbox.tools.audit.AuditSink;
import dev.mcpsandbox.tools.budget.CallBudget;
import dev.mcpsandbox.tools.policy.PolicyDecision;
import dev.mcpsandbox.tools.policy.ToolPolicy;
import dev.mcpsandbox.tools.registry.CallCancellation;
import dev.mcpsandbox.tools.registry.ServerStatus;
import dev.mcpsandbox.tools.registry.ToolDescriptor;
import dev.mcpsandbox.tools.registry.ToolRegistry;
import dev.mcpsandbox.tools.registry.ToolUnavailableException;
import dev.mcpsandbox.tools.registry.UpstreamResult;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every call from sandboxed code passes here, through one method per check in this order: the tool
 * exists → the operator's policy allows it → the arguments match its input schema → the execution's
 * budget has room → a human confirms (when the policy says so) → dispatch → audit. A call refused
 * at any step never reaches the upstream server. When the execution ends, the calls still waiting for
 * an upstream server are cancelled there ({@link #executionEnded}).
 */
final class CallGate {
    private final String executionId;
    private final ToolRegistry registry;
    private final ToolPolicy policy;
    private final CallBudget budget;
    private final Confirmer confirmer;
    private final JsonSchemaValidator schemas;
    private final AuditSink audit;
    private final Clock clock;
    private final List<ToolCallRecord> records = new ArrayList<>();
    private final List<String> running = new ArrayList<>();
    /** Cancelled when the execution ends: its calls still pending upstream are of no use to anyone. */
    private final CallCancellation pending = new CallCancellation();
    private volatile boolean callLimitHit;

    CallGate(String executionId, ToolRegistry registry, ToolPolicy policy, CallBudget budget, Confirmer confirmer,
             JsonSchemaValidator schemas, AuditSink audit, Clock clock) {
        this.executionId = executionId;
        this.registry = registry;
        this.policy = policy;
        this.budget = budget;
        this.confirmer = confirmer;
        this.schemas = schemas;
        this.audit = audit;
        this.clock = clock;
    }

    GateAnswer call(String qualifiedName, Map<String, Object> arguments, int argumentBytes) {
        long started = System.nanoTime();
        synchronized (this) {
            running.add(qualifiedName);
        }
        GateAnswer answer;
        try {
            answer = check(qualifiedName, arguments, argumentBytes);
        } catch (RuntimeException e) {
            answer = new GateAnswer.Refused(Refusal.UNAVAILABLE, "failed inside the server: " + e.getMessage());
        }
        long durationMs = Duration.ofNanos(System.nanoTime() - started).toMillis();
        record(qualifiedName, argumentBytes, answer, durationMs);
        return answer;
    }

    private GateAnswer check(String qualifiedName, Map<String, Object> arguments, int argumentBytes) {
        Optional<ToolName> name = ToolName.parse(qualifiedName);
        if (name.isEmpty()) {
            return new GateAnswer.Refused(Refusal.INVALID_PARAMS, "\"" + qualifiedName
                    + "\" is not a tool name; use \"server.tool\"");
        }
        Optional<ToolDescriptor> tool = registry.find(name.get());
        if (tool.isEmpty()) {
            return unknown(name.get());
        }
        PolicyDecision decision = policy.decide(tool.get());
        if (decision instanceof PolicyDecision.Deny deny) {
            return new GateAnswer.Refused(Refusal.DENIED, deny.reason());
        }
        JsonSchemaValidator.ValidationResponse valid = schemas.validate(tool.get().inputSchema(), arguments);
        if (!valid.valid()) {
            return new GateAnswer.Refused(Refusal.INVALID_ARGUMENTS, "arguments do not match the tool's input schema: "
                    + valid.errorMessage());
        }
        CallBudget.Reservation reservation;
        CallBudget.Outcome reserved = budget.reserve(argumentBytes);
        if (reserved instanceof CallBudget.Exhausted exhausted) {
            if (exhausted.callLimit()) {
                callLimitHit = true;
            }
            return new GateAnswer.Refused(Refusal.BUDGET_EXHAUSTED, exhausted.reason());
        }
        reservation = ((CallBudget.Granted) reserved).reservation();
        if (decision instanceof PolicyDecision.Confirm confirm) {
            Confirmer.Confirmation answer = confirmer.ask(name.get(), arguments, confirm.reason());
            if (answer instanceof Confirmer.Confirmation.Declined declined) {
                reservation.close();
                return new GateAnswer.Refused(Refusal.DECLINED, "not confirmed: " + declined.reason());
            }
        }
        return dispatch(name.get(), arguments, reservation);
    }

    private GateAnswer dispatch(ToolName name, Map<String, Object> arguments, CallBudget.Reservation reservation) {
        long started = System.nanoTime();
        UpstreamResult result;
        try {
            result = registry.call(name, arguments, reservation.timeout(), pending);
        } catch (ToolUnavailableException e) {
            reservation.complete(0, Duration.ofNanos(System.nanoTime() - started));
            return new GateAnswer.Refused(Refusal.UNAVAILABLE, e.getMessage());
        }
        if (!reservation.complete(result.resultBytes(), Duration.ofNanos(System.nanoTime() - started))) {
            return new GateAnswer.Refused(Refusal.BUDGET_EXHAUSTED, "the tool answered, but the answer does not fit in"
                    + " what is left of this execution's result budget (tools.budget.resultBytes)");
        }
        if (result.isError()) {
            return new GateAnswer.Refused(Refusal.TOOL_ERROR, "the tool reported an error: " + abbreviate(result.text()),
                    result.text());
        }
        return new GateAnswer.Returned(result.value(), result.text());
    }

    private GateAnswer unknown(ToolName name) {
        Optional<ServerStatus> server = registry.servers().stream().filter(s -> s.server().equals(name.server())).findFirst();
        if (server.isEmpty()) {
            return new GateAnswer.Refused(Refusal.UNKNOWN_TOOL, "no server \"" + name.server() + "\"; servers: "
                    + registry.servers().stream().map(ServerStatus::server).sorted().collect(Collectors.joining(", ")));
        }
        if (!server.get().available()) {
            return new GateAnswer.Refused(Refusal.UNAVAILABLE, "server \"" + name.server() + "\" is unavailable: "
                    + server.get().detail());
        }
        String known = callableTools().stream().filter(t -> t.name().server().equals(name.server()))
                .map(t -> t.name().tool()).sorted().limit(20).collect(Collectors.joining(", "));
        return new GateAnswer.Refused(Refusal.UNKNOWN_TOOL, "no tool \"" + name.tool() + "\" on server \"" + name.server()
                + "\"" + (known.isEmpty() ? "" : "; callable tools there: " + known));
    }

    List<ToolDescriptor> callableTools() {
        return registry.tools().stream().filter(policy::visible).toList();
    }

    private synchronized void record(String tool, int argumentBytes, GateAnswer answer, long durationMs) {
        running.remove(tool);
        Optional<String> error = answer instanceof GateAnswer.Refused r
                ? Optional.of(r.refusal().reason() + ": " + r.message()) : Optional.empty();
        records.add(new ToolCallRecord(tool, error.isEmpty(), durationMs, error));
        String outcome = answer instanceof GateAnswer.Refused r ? r.refusal().reason() : "ok";
        audit.record(new AuditEvent.ToolCalled(clock.instant(), executionId, tool, argumentBytes, outcome, error, durationMs));
    }

    synchronized List<ToolCallRecord> records() {
        List<ToolCallRecord> all = new ArrayList<>(records);
        running.forEach(t -> all.add(new ToolCallRecord(t, false, 0,
                Optional.of("the execution ended before this call returned"))));
        return all;
    }

    /** The execution is over: calls still waiting end now, and their upstream servers are told to stop. */
    void executionEnded() {
        pending.cancel("the execution that made this call has ended");
    }

    boolean callLimitHit() {
        return callLimitHit;
    }

    private static String abbreviate(String text) {
        return text.length() <= 500 ? text : text.substring(0, 500) + "…";
    }
}
