package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.config.ConfigLoader;
import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.config.ServerConfig;
import dev.mcpsandbox.sandbox.backend.fake.FakeProgram;
import dev.mcpsandbox.sandbox.backend.fake.FakeSandboxBackend;
import dev.mcpsandbox.sandbox.language.LanguageCatalog;
import dev.mcpsandbox.sandbox.limits.LimitKind;
import dev.mcpsandbox.tools.ToolLayer;
import dev.mcpsandbox.tools.audit.AuditSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The runner's flow, on the in-memory backend: checks, admission, cancels, outcomes, listeners; no process starts. */
class CodeRunnerTest {
    private static final LanguageCatalog LANGUAGES = LanguageCatalog.of(Map.of("python", "3.11.2"), "/fake/bin");

    private final List<ExecutionListener.Ended> heard = new CopyOnWriteArrayList<>();
    private FakeSandboxBackend backend;
    private CodeRunner runner;
    private ToolLayer tools;

    private CodeRunner start(FakeProgram program, String configJson) throws Exception {
        ServerConfig config = ConfigLoader.parse(configJson, "test");
        backend = FakeSandboxBackend.running(program);
        tools = ToolLayer.start(config, AuditSink.NONE, Clock.systemUTC());
        runner = CodeRunner.create(backend, tools, LANGUAGES, config, Clock.systemUTC(), false);
        runner.listen(heard::add);
        return runner;
    }

    @AfterEach
    void nothingIsLeftOpen() {
        if (runner != null) {
            runner.close();
            tools.close();
            assertThat(backend.open()).as("sandboxes still open").isEmpty();
        }
    }

    @Test
    void runsTheProgram_andHandsTheTypedOutcomeToEveryListener() throws Exception {
        start(FakeProgram.printing("42\n"), "{\"pool\": {}}");
        ExecutionOutcome outcome = runner.execute(ExecutionRequest.of("py", "print(42)"), CallContext.detached());
        assertThat(outcome.kind()).isEqualTo(ExecutionOutcome.Kind.EXITED);
        assertThat(outcome.succeeded()).isTrue();
        assertThat(outcome.report().orElseThrow().stdout().text()).isEqualTo("42\n");
        assertThat(heard).singleElement().satisfies(e -> {
            assertThat(e.languageId()).contains("python");
            assertThat(e.outcome()).isSameAs(outcome);
            assertThat(e.limits()).isPresent();
        });
    }

    @Test
    void networkTrue_isRefusedWithoutASandbox_whenTheOperatorAllowsNothing() throws Exception {
        start(FakeProgram.printing("never\n"), "{\"pool\": {}}");
        ExecutionOutcome outcome = runner.execute(new ExecutionRequest("python", "print(1)", Map.of(), Optional.empty(),
                Map.of(), Optional.empty(), true), CallContext.detached());
        assertThat(outcome).isInstanceOf(ExecutionOutcome.Rejected.class);
        assertThat(outcome.detail()).contains("network: true cannot be granted").contains("network.allow");
        assertThat(backend.creations()).isZero();
    }

    @Test
    void networkTrue_isRefused_onABackendThatCannotCarryIt() throws Exception {
        start(FakeProgram.printing("never\n"), "{\"pool\": {}, \"network\": {\"allow\": [\"api.example.com\"]}}");
        ExecutionOutcome outcome = runner.execute(new ExecutionRequest("python", "print(1)", Map.of(), Optional.empty(),
                Map.of(), Optional.empty(), true), CallContext.detached());
        assertThat(outcome.detail()).contains("backend cannot give sandboxes the network");
        assertThat(runner.network().unavailable()).isPresent();
        assertThat(backend.creations()).isZero();
    }

    @Test
    void refusesAnUnknownLanguage_withoutASandbox_andTheListenersHearIt() throws Exception {
        start(FakeProgram.printing("never\n"), "{\"pool\": {}}");
        ExecutionOutcome outcome = runner.execute(ExecutionRequest.of("cobol", "x"), CallContext.detached());
        assertThat(outcome).isInstanceOf(ExecutionOutcome.Rejected.class);
        assertThat(outcome.detail()).contains("cobol").contains("python");
        assertThat(backend.creations()).isZero();
        assertThat(heard).singleElement().satisfies(e -> assertThat(e.languageId()).isEmpty());
    }

    @Test
    void argumentsThatCouldNotBeRead_areRefusedThroughTheListenersToo() throws Exception {
        start(FakeProgram.printing("never\n"), "{\"pool\": {}}");
        ExecutionOutcome outcome = runner.refuse(ExecutionRequest.of("python", ""), "\"code\" is required");
        assertThat(outcome.kind()).isEqualTo(ExecutionOutcome.Kind.REJECTED);
        assertThat(heard).singleElement().satisfies(e -> assertThat(e.outcome().detail()).isEqualTo("\"code\" is required"));
    }

    @Test
    void aFullQueue_isRefusedAsBusy() throws Exception {
        start(FakeProgram.blockingUntilKilled(), "{\"pool\": {}, \"execution\": {\"maxConcurrent\": 1, \"queueSize\": 0}}");
        Cancellation first = new Cancellation();
        CompletableFuture<ExecutionOutcome> holding = CompletableFuture.supplyAsync(() -> runner.execute(
                ExecutionRequest.of("python", "hold"), new CallContext(first, CallContext.detached().confirmer(), l -> { })));
        awaitCreations(1);
        ExecutionOutcome refused = runner.execute(ExecutionRequest.of("python", "x"), CallContext.detached());
        assertThat(refused.detail()).contains("busy").contains("retry");
        first.cancel();
        assertThat(holding.get(20, TimeUnit.SECONDS).kind()).isEqualTo(ExecutionOutcome.Kind.CANCELLED);
    }

    @Test
    void aCancelBeforeTheRun_createsNoSandbox() throws Exception {
        start(FakeProgram.printing("never\n"), "{\"pool\": {}}");
        Cancellation cancelled = new Cancellation();
        cancelled.cancel();
        ExecutionOutcome outcome = runner.execute(ExecutionRequest.of("python", "x"),
                new CallContext(cancelled, CallContext.detached().confirmer(), l -> { }));
        assertThat(outcome.kind()).isEqualTo(ExecutionOutcome.Kind.CANCELLED);
        assertThat(outcome.report().orElseThrow().stdout().text()).isEmpty();
        assertThat(backend.creations()).isZero();
    }

    @Test
    void aCancelWhileQueued_leavesTheQueueWithoutRunning() throws Exception {
        start(FakeProgram.blockingUntilKilled(), "{\"pool\": {}, \"execution\": {\"maxConcurrent\": 1, \"queueSize\": 4}}");
        Cancellation first = new Cancellation();
        Cancellation second = new Cancellation();
        CompletableFuture<ExecutionOutcome> holding = CompletableFuture.supplyAsync(() -> runner.execute(
                ExecutionRequest.of("python", "hold"), new CallContext(first, CallContext.detached().confirmer(), l -> { })));
        awaitCreations(1);
        CompletableFuture<ExecutionOutcome> queued = CompletableFuture.supplyAsync(() -> runner.execute(
                ExecutionRequest.of("python", "queued"), new CallContext(second, CallContext.detached().confirmer(), l -> { })));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (runner.queued() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        second.cancel();
        assertThat(queued.get(20, TimeUnit.SECONDS).kind()).isEqualTo(ExecutionOutcome.Kind.CANCELLED);
        assertThat(backend.creations()).as("the queued call never got a sandbox").isEqualTo(1);
        first.cancel();
        holding.get(20, TimeUnit.SECONDS);
    }

    @Test
    void theBackendsMemorySignal_endsAsTheMemoryLimit() throws Exception {
        start(FakeProgram.exhaustingMemory(), "{\"pool\": {}}");
        ExecutionOutcome outcome = runner.execute(ExecutionRequest.of("python", "x"), CallContext.detached());
        assertThat(outcome.limit()).contains(LimitKind.MEMORY);
        assertThat(outcome.succeeded()).isFalse();
    }

    @Test
    void aRunPastItsTime_endsAsTheTimeoutLimit() throws Exception {
        start(FakeProgram.blockingUntilKilled(), "{\"pool\": {}}");
        ExecutionOutcome outcome = runner.execute(new ExecutionRequest("python", "x", Map.of(), Optional.empty(),
                Map.of(ResourceLimits.Key.TIMEOUT_SECONDS, 1L), Optional.empty()), CallContext.detached());
        assertThat(outcome.limit()).contains(LimitKind.TIMEOUT);
        assertThat(outcome.report().orElseThrow().duration()).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void afterStopRuns_anUnsuccessfulEndSaysTheServerStoppedIt() throws Exception {
        start(FakeProgram.exit(137), "{\"pool\": {}}");
        runner.stopRuns("the server is shutting down");
        ExecutionOutcome outcome = runner.execute(ExecutionRequest.of("python", "x"), CallContext.detached());
        assertThat(outcome).isInstanceOf(ExecutionOutcome.Stopped.class);
        assertThat(outcome.detail()).isEqualTo("the server is shutting down");
        assertThat(outcome.report()).isPresent();
    }

    @Test
    void secretsInTheOutput_areRedactedAndNamed() throws Exception {
        String key = "AKIA" + "QZ7XW3ERTY2UIOPA";
        start(FakeProgram.printing("key=" + key + "\n"), "{\"pool\": {}}");
        ExecutionOutcome outcome = runner.execute(ExecutionRequest.of("python", "x"), CallContext.detached());
        RunReport report = outcome.report().orElseThrow();
        assertThat(report.stdout().text()).doesNotContain(key);
        assertThat(report.redactions()).isNotEmpty();
    }

    @Test
    void validateCode_answersBadInputWithAValue() throws Exception {
        start(FakeProgram.exit(0), "{\"pool\": {}}");
        assertThat(runner.validate("cobol", "x")).isInstanceOf(ValidationOutcome.Rejected.class);
    }

    private void awaitCreations(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (backend.creations() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(backend.creations()).isGreaterThanOrEqualTo(n);
    }
}
