package dev.mcpsandbox.tools.budget;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.config.ToolBudgetConfig;

import java.time.Duration;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * What one execution's tool calls may still consume: calls, argument bytes, result bytes and tool time.
 * Two-phase, because a call's size is known before it runs but its result and duration only after:
 * {@link #reserve} counts the call and its arguments (or refuses it), and the caller then
 * {@link Reservation#complete completes} the reservation with the result size and time taken.
 * Calls may run concurrently; all counters change under one lock, so concurrent reservations never
 * overshoot a limit.
 */
public final class CallBudget {
    /** The budgets a call can run out of. */
    public enum Kind { CALLS, ARGUMENT_BYTES, RESULT_BYTES, TOOL_TIME }

    /** The answer to {@link #reserve}. */
    public sealed interface Outcome permits Granted, Exhausted {
    }

    public record Granted(Reservation reservation) implements Outcome {
    }

    /** @param reason names the budget, its size and its configuration key */
    public record Exhausted(Kind budget, String reason) implements Outcome {
        /** Whether the call limit ran out, reported as {@code limitHit: tool_calls}. */
        public boolean callLimit() {
            return budget == Kind.CALLS;
        }
    }

    /** Usage so far against each limit; tool time includes the time so far of calls still running. */
    public record Snapshot(int calls, int callLimit, long argumentBytes, long argumentByteLimit, long resultBytes,
                           long resultByteLimit, Duration toolTime, Duration toolTimeLimit, int running) {
    }

    private static final Duration MAX_NANOS = Duration.ofNanos(Long.MAX_VALUE);

    private final int maxCalls;
    private final ToolBudgetConfig limits;
    private final LongSupplier nanoTime;
    private final Object lock = new Object();
    private final Set<Reservation> running = Collections.newSetFromMap(new IdentityHashMap<>());
    private int calls;
    private long argumentBytes;
    private long resultBytes;
    private long completedNanos;

    /** @param nanoTime a monotonic clock in nanoseconds ({@code System::nanoTime}; tests pass a fake) */
    public CallBudget(int maxCalls, ToolBudgetConfig limits, LongSupplier nanoTime) {
        if (maxCalls < 0) {
            throw new IllegalArgumentException("maxCalls must not be negative, got " + maxCalls);
        }
        this.maxCalls = maxCalls;
        this.limits = limits;
        this.nanoTime = nanoTime;
    }

    /** The budget of one execution with these effective limits. */
    public static CallBudget forExecution(ResourceLimits limits, ToolBudgetConfig budget) {
        return new CallBudget(limits.toolCalls(), budget, System::nanoTime);
    }

    /** Counts one call with arguments of this many bytes (UTF-8 JSON), or says which budget ran out. */
    public Outcome reserve(int argumentBytes) {
        if (argumentBytes < 0) {
            throw new IllegalArgumentException("argumentBytes must not be negative, got " + argumentBytes);
        }
        synchronized (lock) {
            long now = nanoTime.getAsLong();
            if (calls >= maxCalls) {
                return new Exhausted(Kind.CALLS, "tool call budget exhausted: " + maxCalls
                        + (maxCalls == 1 ? " call" : " calls") + " per execution (toolCalls)");
            }
            if (this.argumentBytes + argumentBytes > limits.argumentBytes()) {
                return new Exhausted(Kind.ARGUMENT_BYTES, "argument budget exhausted: this call's " + argumentBytes
                        + " bytes do not fit in the " + (limits.argumentBytes() - this.argumentBytes) + " left of "
                        + limits.argumentBytes() + " bytes per execution (tools.budget.argumentBytes)");
            }
            // A result that overflowed is counted in full, so the budget stays exhausted: any further call
            // would make the upstream server do work whose answer could not be handed back.
            if (resultBytes >= limits.resultBytes()) {
                return new Exhausted(Kind.RESULT_BYTES, "result budget exhausted: " + limits.resultBytes()
                        + " bytes per execution (tools.budget.resultBytes)");
            }
            Duration left = toolTimeLeft(now);
            if (left.isZero()) {
                return new Exhausted(Kind.TOOL_TIME, "tool time budget exhausted: " + limits.toolSeconds()
                        + " seconds per execution (tools.budget.toolSeconds)");
            }
            calls++;
            this.argumentBytes += argumentBytes;
            Reservation reservation = new Reservation(argumentBytes, now, min(left, limits.callTimeout()));
            running.add(reservation);
            return new Granted(reservation);
        }
    }

    /** How long a call started now may take: the per-call timeout, or less when the tool time budget is nearly used. */
    public Duration remainingToolTime() {
        synchronized (lock) {
            return min(toolTimeLeft(nanoTime.getAsLong()), limits.callTimeout());
        }
    }

    public Snapshot snapshot() {
        synchronized (lock) {
            return new Snapshot(calls, maxCalls, argumentBytes, limits.argumentBytes(), resultBytes,
                    limits.resultBytes(), Duration.ofNanos(usedNanos(nanoTime.getAsLong())), limits.toolTime(),
                    running.size());
        }
    }

    /**
     * Time is summed over calls, running ones included, so concurrent calls each count. Calls already
     * running keep the timeout they were given, so the total can pass the budget by their overlap.
     */
    private Duration toolTimeLeft(long now) {
        long left = limits.toolTime().toNanos() - usedNanos(now);
        return left <= 0 ? Duration.ZERO : Duration.ofNanos(left);
    }

    private long usedNanos(long now) {
        long used = completedNanos;
        for (Reservation r : running) {
            used += Math.max(0, now - r.startedNanos);
        }
        return used;
    }

    /** Sums that cannot wrap: a misreported huge result must exhaust the budget, not reset it. */
    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return sum < 0 ? Long.MAX_VALUE : sum;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /**
     * One granted call. Complete it exactly once when the call is over; {@link #close} (for
     * try-with-resources and error paths) ends a call that never reached the tool. Either way the call
     * and its argument bytes stay counted: refunding them would let code repeat refused calls (and
     * confirmation prompts) without end.
     */
    public final class Reservation implements AutoCloseable {
        private final int argumentBytes;
        private final long startedNanos;
        private final Duration timeout;
        private final AtomicBoolean done = new AtomicBoolean();

        private Reservation(int argumentBytes, long startedNanos, Duration timeout) {
            this.argumentBytes = argumentBytes;
            this.startedNanos = startedNanos;
            this.timeout = timeout;
        }

        public int argumentBytes() {
            return argumentBytes;
        }

        /** The longest this call may take, fixed when it was granted. */
        public Duration timeout() {
            return timeout;
        }

        /**
         * Records the call's result size and duration.
         *
         * @return whether the result fits in the result budget; when not, the caller must not hand it to
         * the sandbox (refuse it as "result budget exhausted")
         * @throws IllegalStateException when the reservation was already completed or closed
         */
        public boolean complete(long resultBytes, Duration took) {
            if (resultBytes < 0 || took.isNegative()) {
                throw new IllegalArgumentException("resultBytes and took must not be negative, got "
                        + resultBytes + " and " + took);
            }
            if (!done.compareAndSet(false, true)) {
                throw new IllegalStateException("this tool call's budget reservation was already completed");
            }
            synchronized (lock) {
                running.remove(this);
                completedNanos = saturatedAdd(completedNanos, took.compareTo(MAX_NANOS) >= 0 ? Long.MAX_VALUE : took.toNanos());
                CallBudget.this.resultBytes = saturatedAdd(CallBudget.this.resultBytes, resultBytes);
                return CallBudget.this.resultBytes <= limits.resultBytes();
            }
        }

        /** Ends a call that did not reach the tool (no result, no tool time); does nothing after {@link #complete}. */
        @Override
        public void close() {
            if (done.compareAndSet(false, true)) {
                synchronized (lock) {
                    running.remove(this);
                }
            }
        }
    }
}
