package dev.mcpsandbox.server.modern;

import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.modern.McpException;
import io.modelcontextprotocol.modern.McpSchema;
import io.modelcontextprotocol.modern.server.McpAsyncNotifier;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ElicitRequest;
import io.modelcontextprotocol.spec.McpSchema.ElicitResult;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * One {@code tools/call} of a 2026-07-28 client, across its rounds. The tool's handler runs on a thread of
 * its own and may ask the client for input (a confirmation, through the same {@code createElicitation}
 * that 2025-11-25 clients answer at once); 2026-07-28 has no server-to-client requests, so the round in
 * progress ends with an {@code input_required} result naming the questions, the handler waits, and the
 * client's retry (same call, {@code requestState} and {@code inputResponses}) carries the answers in and
 * waits for the outcome or the next questions. The execution keeps running between rounds.
 */
final class SuspendedCall {
    /** How often a round looks for the outcome, a question or a cancel. */
    private static final long POLL_MS = 50;

    private final String id;
    private final String caller;
    private final String cancelKey;
    private final Duration answerWithin;
    private final McpJsonMapper json;
    private final AtomicInteger questions = new AtomicInteger();
    private final LinkedBlockingQueue<Question> asked = new LinkedBlockingQueue<>();
    private final Map<String, Question> awaiting = new ConcurrentHashMap<>();
    private final CompletableFuture<CallToolResult> outcome = new CompletableFuture<>();
    private volatile Round round = Round.NONE;

    /** A question the handler put, and where its answer goes. */
    private record Question(String key, ElicitRequest request, CompletableFuture<ElicitResult> answer) {
    }

    /** What the round in progress lets the handler reach: its notifier (or none) and the log level it asked for. */
    record Round(Optional<McpAsyncNotifier> notifier, Optional<McpSchema.LoggingLevel> logLevel) {
        static final Round NONE = new Round(Optional.empty(), Optional.empty());
    }

    SuspendedCall(String id, String caller, String cancelKey, Duration answerWithin, McpJsonMapper json) {
        this.id = id;
        this.caller = caller;
        this.cancelKey = cancelKey;
        this.answerWithin = answerWithin;
        this.json = json;
    }

    String id() {
        return id;
    }

    String caller() {
        return caller;
    }

    /** The key {@code InFlightCalls} knows the execution by. */
    String cancelKey() {
        return cancelKey;
    }

    void started(CompletableFuture<CallToolResult> handler) {
        handler.whenComplete((result, failure) -> {
            if (failure != null) {
                outcome.completeExceptionally(failure);
            } else {
                outcome.complete(result);
            }
        });
    }

    CompletableFuture<CallToolResult> outcome() {
        return outcome;
    }

    Round round() {
        return round;
    }

    /**
     * Called by the handler (on its own thread): asks the client, through whichever round is in progress or
     * comes next, and completes when the client's retry answers or after {@code answerWithin}.
     */
    CompletableFuture<ElicitResult> ask(ElicitRequest request) {
        Question q = new Question("confirm-" + questions.incrementAndGet(), request, new CompletableFuture<>());
        asked.add(q);
        return q.answer.orTimeout(answerWithin.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((r, e) -> awaiting.remove(q.key));
    }

    /** Hands the client's answers to the questions they name; unknown keys are ignored. */
    void answer(Map<String, Object> inputResponses) {
        if (inputResponses == null) {
            return;
        }
        inputResponses.forEach((key, value) -> {
            Question q = awaiting.remove(key);
            if (q != null) {
                try {
                    q.answer.complete(json.convertValue(value, ElicitResult.class));
                } catch (IllegalArgumentException e) {
                    q.answer.complete(ElicitResult.builder(ElicitResult.Action.DECLINE).build());
                    throw McpException.invalidParams("inputResponses['" + key + "'] is not an elicitation result: "
                            + e.getMessage());
                }
            }
        });
    }

    /**
     * One round: waits until the tool's result (returned as the 2026-07-28 result) or until it has questions
     * (returned as {@code input_required}, with this call's id as the request state).
     */
    McpSchema.CallToolOutcome next(Round current, BooleanSupplier cancelled) throws InterruptedException {
        round = current;
        try {
            Map<String, McpSchema.InputRequest> open = new LinkedHashMap<>();
            awaiting.values().forEach(q -> open.put(q.key, input(q)));
            while (open.isEmpty()) {
                if (outcome.isDone()) {
                    return result();
                }
                if (cancelled.getAsBoolean()) {
                    throw new InterruptedException("the client cancelled the request");
                }
                Question q = asked.poll(POLL_MS, TimeUnit.MILLISECONDS);
                for (; q != null; q = asked.poll()) {
                    if (!q.answer.isDone()) {
                        awaiting.put(q.key, q);
                        open.put(q.key, input(q));
                    }
                }
            }
            return new McpSchema.InputRequiredResult(Map.copyOf(open), id, McpSchema.ResultType.INPUT_REQUIRED, null);
        } finally {
            round = Round.NONE;
        }
    }

    private McpSchema.InputRequest input(Question q) {
        return new McpSchema.ElicitInputRequest(json.convertValue(q.request, McpSchema.ElicitRequest.class));
    }

    private McpSchema.CallToolResult result() {
        try {
            return json.convertValue(outcome.get(), McpSchema.CallToolResult.class);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            // As the 2025-11-25 server does: a handler's exception is an internal error that says what failed.
            throw new McpException(-32603, cause.getMessage() == null ? cause.toString() : cause.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new McpException(-32603, "interrupted while reading the result");
        }
    }
}
