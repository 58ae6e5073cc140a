package dev.mcpsandbox.sandbox.execution;

import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounded concurrency with a bounded queue. A request that finds every slot busy and the queue full
 * is refused at once: a client gets a clear answer rather than a call that hangs.
 */
final class Admission {
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

    Optional<Slot> enter() throws InterruptedException {
        if (!slots.tryAcquire()) {
            if (waiting.incrementAndGet() > queueSize) {
                waiting.decrementAndGet();
                return Optional.empty();
            }
            try {
                slots.acquire();
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
