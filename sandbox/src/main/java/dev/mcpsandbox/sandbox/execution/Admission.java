package dev.mcpsandbox.sandbox.execution;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounded concurrency with a bounded queue. A request that finds every slot busy and the queue full
 * is refused at once: a client gets a clear answer rather than a call that hangs.
 */
final class Admission {
    /** How often a queued request looks for its cancel. */
    private static final Duration CANCEL_CHECK = Duration.ofMillis(25);

    private final Semaphore slots;
    private final int queueSize;
    private final AtomicInteger waiting = new AtomicInteger();

    Admission(int concurrent, int queueSize) {
        this.slots = new Semaphore(concurrent, true);
        this.queueSize = queueSize;
    }

    /** A held slot; closing it lets the next request in. */
    interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * A slot, or empty when the queue is full or {@code cancellation} was requested while waiting (the caller
     * tells the two apart): a cancelled request leaves the queue at once instead of running later.
     */
    Optional<Slot> enter(Cancellation cancellation) throws InterruptedException {
        if (!slots.tryAcquire()) {
            if (waiting.incrementAndGet() > queueSize) {
                waiting.decrementAndGet();
                return Optional.empty();
            }
            try {
                while (!slots.tryAcquire(CANCEL_CHECK.toMillis(), TimeUnit.MILLISECONDS)) {
                    if (cancellation.requested()) {
                        return Optional.empty();
                    }
                }
            } finally {
                waiting.decrementAndGet();
            }
        }
        return Optional.of(slots::release);
    }

    int queued() {
        return waiting.get();
    }

    int running(int concurrent) {
        return concurrent - slots.availablePermits();
    }
}
