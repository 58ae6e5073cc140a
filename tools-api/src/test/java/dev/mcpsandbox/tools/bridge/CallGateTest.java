package dev.mcpsandbox.tools.bridge;

import dev.mcpsandbox.config.ToolBudgetConfig;
import dev.mcpsandbox.config.ToolRulesConfig;
import dev.mcpsandbox.tools.ToolName;
import dev.mcpsandbox.tools.audit.AuditEvent;
import dev.mcpsandbox.tools.audit.AuditSink;
import dev.mcpsandbox.tools.budget.CallBudget;
import dev.mcpsandbox.tools.policy.ToolPolicy;
import dev.mcpsandbox.tools.registry.CallCancellation;
import dev.mcpsandbox.tools.registry.ServerStatus;
import dev.mcpsandbox.tools.registry.ToolDescriptor;
import dev.mcpsandbox.tools.registry.ToolRegistry;
import dev.mcpsandbox.tools.registry.ToolSource;
import dev.mcpsandbox.tools.registry.ToolUnavailableException;
import dev.mcpsandbox.tools.registry.UpstreamResult;
import io.modelcontextprotocol.json.McpJsonDefaults;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gate's order, with an in-process tool source: policy → schema → budget → confirmation → dispatch → audit.
 * Each test makes one check refuse and shows that no later step ran (the tool was not called, no human was asked,
 * the budget did not count), and that every answer is audited once.
 */
class CallGateTest {
    private static final Map<String, Object> ADD_SCHEMA = Map.of("type", "object",
            "properties", Map.of("a", Map.of("type", "number"), "b", Map.of("type", "number")),
            "required", List.of("a", "b"));
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-04T12:00:00Z"), ZoneOffset.UTC);

    private final RecordingSource math = new RecordingSource("math", List.of(
            tool("math", "add", ADD_SCHEMA, false), tool("math", "wipe", Map.of("type", "object"), true),
            tool("math", "big", Map.of("type", "object"), false)));
    private final ToolRegistry registry = ToolRegistry.of(List.of(math));
    private final List<AuditEvent> audited = new CopyOnWriteArrayList<>();
    private final List<ToolName> asked = new CopyOnWriteArrayList<>();
    private CallBudget budget = new CallBudget(10, ToolBudgetConfig.DEFAULTS, System::nanoTime);
    private Confirmer confirmer = (tool, arguments, reason) -> {
        asked.add(tool);
        return new Confirmer.Confirmation.Approved();
    };

    @AfterEach
    void close() {
        registry.close();
    }

    private CallGate gate(ToolRulesConfig rules) {
        AuditSink sink = new AuditSink() {
            @Override
            public void record(AuditEvent event) {
                audited.add(event);
            }

            @Override
            public void close() {
            }
        };
        return new CallGate("x1", registry, ToolPolicy.from(rules), budget, confirmer,
                McpJsonDefaults.getSchemaValidator(), sink, CLOCK);
    }

    private static ToolRulesConfig allow(List<String> allow, List<String> deny, List<String> confirm) {
        return new ToolRulesConfig(allow, deny, confirm, ToolBudgetConfig.DEFAULTS);
    }

    private static final Map<String, Object> ONE_PLUS_TWO = Map.of("a", 1, "b", 2);

    @Test
    void anAllowedCallWithValidArgumentsIsDispatchedCountedAndAudited() {
        CallGate gate = gate(allow(List.of("math.*"), List.of(), List.of()));

        GateAnswer answer = gate.call("math.add", ONE_PLUS_TWO, 13);

        assertThat(answer).isEqualTo(new GateAnswer.Returned(Map.of("sum", 3), "3"));
        assertThat(math.calls).containsExactly("add");
        assertThat(budget.snapshot().calls()).isEqualTo(1);
        assertThat(budget.snapshot().argumentBytes()).isEqualTo(13);
        assertThat(gate.records()).singleElement().satisfies(r -> assertThat(r.ok()).isTrue());
        assertThat(audited).singleElement().isInstanceOfSatisfying(AuditEvent.ToolCalled.class, e -> {
            assertThat(e.executionId()).isEqualTo("x1");
            assertThat(e.tool()).isEqualTo("math.add");
            assertThat(e.outcome()).isEqualTo("ok");
            assertThat(e.argumentBytes()).isEqualTo(13);
            assertThat(e.at()).isEqualTo(CLOCK.instant());
        });
    }

    @Test
    void aDeniedToolIsRefusedBeforeItsArgumentsAreCheckedOrTheBudgetCounts() {
        CallGate gate = gate(allow(List.of("math.*"), List.of("math.add"), List.of("math.add")));

        GateAnswer answer = gate.call("math.add", Map.of("a", "not a number"), 20);

        assertRefused(answer, Refusal.DENIED, "tools.deny");
        assertNothingPastTheRefusal();
        assertThat(audited).singleElement().extracting(e -> ((AuditEvent.ToolCalled) e).outcome()).isEqualTo("denied");
    }

    @Test
    void aDestructiveToolAllowedOnlyByWildcardIsRefused() {
        CallGate gate = gate(allow(List.of("math.*"), List.of(), List.of()));

        assertRefused(gate.call("math.wipe", Map.of(), 2), Refusal.DENIED, "destructive");
        assertNothingPastTheRefusal();
    }

    @Test
    void argumentsThatDoNotMatchTheSchemaAreRefusedBeforeTheBudgetOrAHuman() {
        CallGate gate = gate(allow(List.of("math.*"), List.of(), List.of("math.add")));

        GateAnswer answer = gate.call("math.add", Map.of("a", 1), 7);

        assertRefused(answer, Refusal.INVALID_ARGUMENTS, "input schema");
        assertNothingPastTheRefusal();
    }

    @Test
    void anExhaustedBudgetRefusesBeforeAHumanIsAsked() {
        budget = new CallBudget(1, ToolBudgetConfig.DEFAULTS, System::nanoTime);
        CallGate gate = gate(allow(List.of("math.*"), List.of(), List.of("math.add")));
        assertThat(gate.call("math.add", ONE_PLUS_TWO, 13)).isInstanceOf(GateAnswer.Returned.class);
        asked.clear();
        math.calls.clear();

        GateAnswer second = gate.call("math.add", ONE_PLUS_TWO, 13);

        assertRefused(second, Refusal.BUDGET_EXHAUSTED, "toolCalls");
        assertThat(asked).as("confirmations asked for the refused call").isEmpty();
        assertThat(math.calls).isEmpty();
        assertThat(gate.callLimitHit()).isTrue();
    }

    @Test
    void aDeclinedConfirmationIsNeverDispatchedButStaysCounted() {
        confirmer = (tool, arguments, reason) -> {
            asked.add(tool);
            return new Confirmer.Confirmation.Declined("the user said no");
        };
        CallGate gate = gate(allow(List.of("math.*"), List.of(), List.of("math.add")));

        GateAnswer answer = gate.call("math.add", ONE_PLUS_TWO, 13);

        assertRefused(answer, Refusal.DECLINED, "the user said no");
        assertThat(asked).containsExactly(new ToolName("math", "add"));
        assertThat(math.calls).isEmpty();
        // Refunding a declined call would let code repeat the prompt without end.
        assertThat(budget.snapshot().calls()).isEqualTo(1);
        assertThat(budget.snapshot().running()).isZero();
    }

    @Test
    void anApprovedConfirmationIsDispatched() {
        CallGate gate = gate(allow(List.of("math.*"), List.of(), List.of("math.add")));

        assertThat(gate.call("math.add", ONE_PLUS_TWO, 13)).isInstanceOf(GateAnswer.Returned.class);
        assertThat(asked).containsExactly(new ToolName("math", "add"));
        assertThat(math.calls).containsExactly("add");
    }

    @Test
    void aClientThatCannotAskHasEveryConfirmationRefused() {
        confirmer = Confirmer.CANNOT_ASK;
        CallGate gate = gate(allow(List.of("math.*"), List.of(), List.of("math.add")));

        assertRefused(gate.call("math.add", ONE_PLUS_TWO, 13), Refusal.DECLINED, "elicitation");
        assertThat(math.calls).isEmpty();
    }

    @Test
    void aResultLargerThanWhatIsLeftOfTheResultBudgetIsNotHandedBack() {
        budget = new CallBudget(10, new ToolBudgetConfig(1 << 20, 100, 60, 30), System::nanoTime);
        math.answer = tool -> new UpstreamResult("x".repeat(500), "x".repeat(500), false, 502);
        CallGate gate = gate(allow(List.of("math.*"), List.of(), List.of()));

        assertRefused(gate.call("math.big", Map.of(), 2), Refusal.BUDGET_EXHAUSTED, "resultBytes");
        assertThat(math.calls).as("the tool ran; its answer is what does not fit").containsExactly("big");
    }

    @Test
    void aToolThatReportsAnErrorIsRefusedWithItsText() {
        math.answer = tool -> new UpstreamResult("division by zero", "division by zero", true, 18);
        CallGate gate = gate(allow(List.of("math.*"), List.of(), List.of()));

        GateAnswer answer = gate.call("math.add", ONE_PLUS_TWO, 13);

        assertRefused(answer, Refusal.TOOL_ERROR, "division by zero");
        assertThat(((GateAnswer.Refused) answer).detail()).isEqualTo("division by zero");
    }

    @Test
    void anUnreachableServerIsRefusedAsUnavailable() {
        math.unreachable = true;
        CallGate gate = gate(allow(List.of("math.*"), List.of(), List.of()));

        assertRefused(gate.call("math.add", ONE_PLUS_TWO, 13), Refusal.UNAVAILABLE, "connection lost");
        assertThat(budget.snapshot().running()).as("the reservation was completed").isZero();
    }

    @Test
    void namesThatAreNotToolsOrNotKnownAreRefusedSayingWhatExists() {
        CallGate gate = gate(allow(List.of("math.*"), List.of(), List.of()));

        assertRefused(gate.call("no-dot", Map.of(), 2), Refusal.INVALID_PARAMS, "server.tool");
        assertRefused(gate.call("physics.add", Map.of(), 2), Refusal.UNKNOWN_TOOL, "servers: math");
        GateAnswer unknown = gate.call("math.multiply", Map.of(), 2);
        assertRefused(unknown, Refusal.UNKNOWN_TOOL, "callable tools there: add, big");
        assertThat(((GateAnswer.Refused) unknown).message()).as("a denied tool is not offered").doesNotContain("wipe");
        assertNothingPastTheRefusal();
        assertThat(audited).hasSize(3);
    }

    @Test
    void aFailureInsideTheServerIsRefusedAndAuditedNotThrown() {
        math.answer = tool -> {
            throw new IllegalStateException("bug in a tool source");
        };
        CallGate gate = gate(allow(List.of("math.*"), List.of(), List.of()));

        assertRefused(gate.call("math.add", ONE_PLUS_TWO, 13), Refusal.UNAVAILABLE, "bug in a tool source");
        assertThat(audited).singleElement().extracting(e -> ((AuditEvent.ToolCalled) e).outcome())
                .isEqualTo("unavailable");
    }

    private static void assertRefused(GateAnswer answer, Refusal refusal, String messagePart) {
        assertThat(answer).isInstanceOfSatisfying(GateAnswer.Refused.class, r -> {
            assertThat(r.refusal()).isEqualTo(refusal);
            assertThat(r.message()).contains(messagePart);
        });
    }

    private void assertNothingPastTheRefusal() {
        assertThat(math.calls).as("calls that reached the tool").isEmpty();
        assertThat(asked).as("confirmations asked").isEmpty();
        assertThat(budget.snapshot().calls()).as("calls counted against the budget").isZero();
    }

    private static ToolDescriptor tool(String server, String name, Map<String, Object> schema, boolean destructive) {
        return new ToolDescriptor(new ToolName(server, name), name, "", schema, Optional.empty(), false, destructive);
    }

    /** An in-process server: answers add with the sum, remembers every call that reached it. */
    private static final class RecordingSource implements ToolSource {
        final List<String> calls = new CopyOnWriteArrayList<>();
        private final String name;
        private final List<ToolDescriptor> tools;
        volatile boolean unreachable;
        volatile Function<String, UpstreamResult> answer = tool -> new UpstreamResult(Map.of("sum", 3), "3", false, 9);

        RecordingSource(String name, List<ToolDescriptor> tools) {
            this.name = name;
            this.tools = tools;
        }

        @Override
        public String server() {
            return name;
        }

        @Override
        public ServerStatus status() {
            return new ServerStatus(name, ServerStatus.State.AVAILABLE, "in process", Optional.of(Instant.EPOCH));
        }

        @Override
        public List<ToolDescriptor> tools() {
            return tools;
        }

        @Override
        public UpstreamResult call(String tool, Map<String, Object> arguments, Duration timeout,
                                   CallCancellation cancellation) throws ToolUnavailableException {
            calls.add(tool);
            if (unreachable) {
                throw new ToolUnavailableException("server 'math' is unavailable: connection lost");
            }
            return answer.apply(tool);
        }

        @Override
        public void onToolsChanged(Consumer<List<ToolDescriptor>> listener) {
        }

        @Override
        public void close() {
        }
    }
}
