package dev.mcpsandbox.server.tools;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class InFlightCallsTest {
    private final AtomicLong now = new AtomicLong();
    private final InFlightCalls calls = new InFlightCalls(now::get);

    @Test
    void aCancelThatOvertakesItsCall_cancelsTheCallAsItStarts() {
        assertThat(calls.cancel("#7")).isFalse();
        try (InFlightCalls.Registration call = calls.register(Optional.of("#7"))) {
            assertThat(call.cancellation().requested()).isTrue();
        }
    }

    @Test
    void aCancelDuringTheCall_cancelsIt() {
        try (InFlightCalls.Registration call = calls.register(Optional.of("#8"))) {
            assertThat(call.cancellation().requested()).isFalse();
            assertThat(calls.cancel("#8")).isTrue();
            assertThat(call.cancellation().requested()).isTrue();
        }
    }

    @Test
    void aLateCancelForAnEndedCall_doesNotCancelALaterCallReusingItsId() {
        calls.register(Optional.of("#9")).close();
        calls.cancel("#9");
        try (InFlightCalls.Registration reused = calls.register(Optional.of("#9"))) {
            assertThat(reused.cancellation().requested()).isFalse();
        }
    }

    @Test
    void anEarlyCancelIsForgottenAfterItsLifetime() {
        calls.cancel("#10");
        now.addAndGet(Duration.ofMinutes(5).toNanos());
        try (InFlightCalls.Registration call = calls.register(Optional.of("#10"))) {
            assertThat(call.cancellation().requested()).isFalse();
        }
    }

    @Test
    void earlyCancelsAreBounded() {
        for (int i = 0; i < 5000; i++) {
            calls.cancel("flood#" + i);
        }
        try (InFlightCalls.Registration oldest = calls.register(Optional.of("flood#0"));
             InFlightCalls.Registration newest = calls.register(Optional.of("flood#4999"))) {
            assertThat(oldest.cancellation().requested()).isFalse();
            assertThat(newest.cancellation().requested()).isTrue();
        }
    }
}
