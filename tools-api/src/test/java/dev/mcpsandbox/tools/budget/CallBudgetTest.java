package dev.mcpsandbox.tools.budget;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.config.ToolBudgetConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CallBudgetTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Test
    void refusesCallBeyondCallLimit() {
        CallBudget budget = budget(2, ToolBudgetConfig.DEFAULTS);
        granted(budget.reserve(10)).complete(5, Duration.ofMillis(1));
        granted(budget.reserve(10)).complete(5, Duration.ofMillis(1));
        assertThat(budget.reserve(10)).isEqualTo(new CallBudget.Exhausted(CallBudget.Kind.CALLS,
                "tool call budget exhausted: 2 calls per execution (toolCalls)"));
        assertThat(((CallBudget.Exhausted) budget.reserve(0)).callLimit()).isTrue();
        assertThat(budget.snapshot().calls()).isEqualTo(2);
    }

    @Test
    void refusesArgumentsBeyondByteBudget() {
        CallBudget budget = budget(10, new ToolBudgetConfig(100, 1000, 60, 30));
        granted(budget.reserve(60)).complete(0, Duration.ZERO);
        CallBudget.Outcome refused = budget.reserve(41);
        assertThat(refused).isInstanceOfSatisfying(CallBudget.Exhausted.class, e -> {
            assertThat(e.budget()).isEqualTo(CallBudget.Kind.ARGUMENT_BYTES);
            assertThat(e.callLimit()).isFalse();
            assertThat(e.reason()).isEqualTo("argument budget exhausted: this call's 41 bytes do not fit in the 40"
                    + " left of 100 bytes per execution (tools.budget.argumentBytes)");
        });
        // The refused call took nothing, so one that fits still goes through.
        assertThat(budget.reserve(40)).isInstanceOf(CallBudget.Granted.class);
        assertThat(budget.snapshot().argumentBytes()).isEqualTo(100);
        assertThat(budget.snapshot().calls()).isEqualTo(2);
    }

    @Test
    void countsResultBytes() {
        CallBudget budget = budget(10, new ToolBudgetConfig(100, 1000, 60, 30));
        assertThat(granted(budget.reserve(1)).complete(600, Duration.ZERO)).isTrue();
        assertThat(granted(budget.reserve(1)).complete(400, Duration.ZERO)).isTrue();
        assertThat(budget.snapshot().resultBytes()).isEqualTo(1000);
        assertThat(budget.reserve(1)).isInstanceOfSatisfying(CallBudget.Exhausted.class, e -> {
            assertThat(e.budget()).isEqualTo(CallBudget.Kind.RESULT_BYTES);
            assertThat(e.reason()).isEqualTo(
                    "result budget exhausted: 1000 bytes per execution (tools.budget.resultBytes)");
        });
    }

    @Test
    void resultThatOverflowsIsRefusedAndExhaustsTheBudget() {
        CallBudget budget = budget(10, new ToolBudgetConfig(100, 1000, 60, 30));
        assertThat(granted(budget.reserve(1)).complete(999, Duration.ZERO)).isTrue();
        assertThat(granted(budget.reserve(1)).complete(2, Duration.ZERO)).isFalse();
        assertThat(budget.reserve(1)).isInstanceOf(CallBudget.Exhausted.class);
    }

    @Test
    void refusesWhenToolTimeUsedUp() {
        CallBudget budget = budget(10, new ToolBudgetConfig(100, 1000, 60, 30));
        assertThat(budget.remainingToolTime()).isEqualTo(Duration.ofSeconds(30));
        granted(budget.reserve(1)).complete(0, Duration.ofSeconds(50));
        assertThat(budget.remainingToolTime()).isEqualTo(Duration.ofSeconds(10));
        CallBudget.Reservation last = granted(budget.reserve(1));
        assertThat(last.timeout()).isEqualTo(Duration.ofSeconds(10));
        last.complete(0, Duration.ofSeconds(10));
        assertThat(budget.remainingToolTime()).isEqualTo(Duration.ZERO);
        assertThat(budget.reserve(1)).isEqualTo(new CallBudget.Exhausted(CallBudget.Kind.TOOL_TIME,
                "tool time budget exhausted: 60 seconds per execution (tools.budget.toolSeconds)"));
    }

    @Test
    void runningCallsCountTowardsToolTime() {
        CallBudget budget = budget(10, new ToolBudgetConfig(100, 1000, 60, 30));
        CallBudget.Reservation a = granted(budget.reserve(1));
        CallBudget.Reservation b = granted(budget.reserve(1));
        now.addAndGet(Duration.ofSeconds(25).toNanos());
        assertThat(budget.remainingToolTime()).isEqualTo(Duration.ofSeconds(10));
        now.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(budget.reserve(1)).isInstanceOf(CallBudget.Exhausted.class);
        assertThat(budget.snapshot().running()).isEqualTo(2);
        // Completion replaces the running estimate with the time the call reports.
        a.complete(0, Duration.ofSeconds(1));
        b.close();
        assertThat(budget.snapshot().toolTime()).isEqualTo(Duration.ofSeconds(1));
        assertThat(budget.snapshot().running()).isZero();
        assertThat(budget.snapshot().calls()).isEqualTo(2);
    }

    @Test
    void completingTwiceIsAnError() {
        CallBudget budget = budget(10, ToolBudgetConfig.DEFAULTS);
        CallBudget.Reservation r = granted(budget.reserve(1));
        r.complete(1, Duration.ZERO);
        r.close();
        assertThatThrownBy(() -> r.complete(1, Duration.ZERO)).isInstanceOf(IllegalStateException.class);
        assertThat(budget.snapshot().resultBytes()).isEqualTo(1);
    }

    @Test
    void zeroCallsMeansNoneAllowed() {
        CallBudget budget = CallBudget.forExecution(ResourceLimits.DEFAULTS.with(ResourceLimits.Key.TOOL_CALLS, 0),
                ToolBudgetConfig.DEFAULTS);
        assertThat(budget.reserve(0)).isEqualTo(new CallBudget.Exhausted(CallBudget.Kind.CALLS,
                "tool call budget exhausted: 0 calls per execution (toolCalls)"));
        assertThat(budget.snapshot().calls()).isZero();
    }

    @Test
    void concurrentReservationsNeverExceedLimit() throws Exception {
        int limit = 500;
        CallBudget budget = new CallBudget(limit, new ToolBudgetConfig(1_000_000, 1_000_000, 60, 30), System::nanoTime);
        int threads = 32;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> granted = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                granted.add(pool.submit(() -> {
                    start.await();
                    int mine = 0;
                    for (int i = 0; i < 100; i++) {
                        if (budget.reserve(7) instanceof CallBudget.Granted g) {
                            mine++;
                            g.reservation().complete(3, Duration.ZERO);
                        }
                    }
                    return mine;
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : granted) {
                total += f.get(30, TimeUnit.SECONDS);
            }
            assertThat(total).isEqualTo(limit);
        } finally {
            pool.shutdownNow();
        }
        CallBudget.Snapshot s = budget.snapshot();
        assertThat(s.calls()).isEqualTo(limit);
        assertThat(s.argumentBytes()).isEqualTo(7L * limit);
        assertThat(s.resultBytes()).isEqualTo(3L * limit);
        assertThat(s.running()).isZero();
    }

    @Test
    void concurrentArgumentBytesNeverExceedBudget() throws Exception {
        CallBudget budget = new CallBudget(100_000, new ToolBudgetConfig(1000, 1_000_000, 60, 30), System::nanoTime);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        budget.reserve(3);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(budget.snapshot().argumentBytes()).isEqualTo(999);
    }

    private CallBudget budget(int calls, ToolBudgetConfig config) {
        return new CallBudget(calls, config, now::get);
    }

    private static CallBudget.Reservation granted(CallBudget.Outcome outcome) {
        assertThat(outcome).isInstanceOf(CallBudget.Granted.class);
        return ((CallBudget.Granted) outcome).reservation();
    }
}
