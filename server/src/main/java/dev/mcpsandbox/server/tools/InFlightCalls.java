package dev.mcpsandbox.server.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpsandbox.sandbox.execution.Cancellation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The {@code execute_code} calls running now, by JSON-RPC request id, so a {@code notifications/cancelled}
 * from the client can stop the right sandbox. The SDK hands handlers no request id, so the transport
 * copies it into the request's {@code _meta} under {@link #REQUEST_ID_META} before the SDK sees it.
 */
public final class InFlightCalls {
    public static final String REQUEST_ID_META = "dev.mcpsandbox/requestId";
    private static final Logger log = LoggerFactory.getLogger(InFlightCalls.class);
    /**
     * Re-serialises tagged messages with every non-ASCII character escaped: a lone surrogate such as
     * {@code \ud800} then stays as it came (and is refused by the request check) instead of becoming '?'.
     */
    private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.json.JsonWriteFeature.ESCAPE_NON_ASCII).build();

    /** A message as one line of JSON, exactly preserving its strings. */
    public static String write(JsonNode message) throws IOException {
        return JSON.writeValueAsString(message);
    }

    /** Cancels for calls not registered yet (the cancel overtook its call): at most this many, for this long. */
    private static final int EARLY_CANCELS_KEPT = 1024;
    private static final Duration EARLY_CANCEL_LIFETIME = Duration.ofSeconds(30);

    private final Map<String, Cancellation> running = new ConcurrentHashMap<>();
    /**
     * A {@code notifications/cancelled} read before the SDK hands its call to the handler (the transport reads
     * both on one thread; the handler starts on another) must still win: it waits here, keyed like the call.
     * Calls that already ended are remembered too, so a late cancel is not kept for a reused id.
     */
    private final Map<String, Long> earlyCancels = boundedMap();
    private final Map<String, Long> recentlyEnded = boundedMap();
    private final LongSupplier nanoTime;

    public InFlightCalls() {
        this(System::nanoTime);
    }

    InFlightCalls(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /**
     * Looks at one incoming JSON-RPC message of a session ({@code scope}: the MCP session id, or "" for
     * stdio): a {@code tools/call} gets its scoped id in {@code _meta}; a {@code notifications/cancelled}
     * cancels the call it names. Returns the message to hand on (changed or not).
     */
    public JsonNode observe(JsonNode message, String scope) {
        String method = message.path("method").asText("");
        if (method.equals("notifications/cancelled") && message.path("params").has("requestId")) {
            String key = key(scope, message.path("params").get("requestId"));
            if (cancel(key)) {
                log.info("client cancelled request {}", key);
            }
        } else if (method.equals("tools/call") && message.has("id") && message.path("params").isObject()) {
            ObjectNode params = (ObjectNode) message.get("params");
            ObjectNode meta = params.get("_meta") instanceof ObjectNode m ? m : params.putObject("_meta");
            meta.put(REQUEST_ID_META, key(scope, message.get("id")));
        }
        return message;
    }

    /** A request body after {@link #observe}: what to hand on, and the key of the call it starts, if any. */
    public record Observed(byte[] body, Optional<String> callKey) {
    }

    /** {@link #observe} for a raw body; returns it unchanged when it is not a single JSON-RPC object. */
    public Observed observe(byte[] body, String scope) {
        try {
            JsonNode message = JSON.readTree(body);
            if (message == null || !message.isObject()) {
                return new Observed(body, Optional.empty());
            }
            boolean call = message.path("method").asText("").equals("tools/call") && message.has("id");
            Optional<String> key = call ? Optional.of(key(scope, message.get("id"))) : Optional.empty();
            return new Observed(JSON.writeValueAsBytes(observe(message, scope)), key);
        } catch (IOException e) {
            return new Observed(body, Optional.empty());
        }
    }

    private static String key(String scope, JsonNode id) {
        return scope + "#" + id.toString();
    }

    /**
     * Cancels the call with this key (from {@link Observed#callKey()}); false if none runs now. A cancel for a call
     * that has not started yet is kept (bounded, short-lived) and cancels it as it registers.
     */
    public boolean cancel(String requestId) {
        synchronized (this) {
            Cancellation c = running.get(requestId);
            if (c != null) {
                c.cancel();
                return true;
            }
            if (!recentlyEnded.containsKey(requestId)) {
                earlyCancels.put(requestId, nanoTime.getAsLong());
            }
            return false;
        }
    }

    /** Cancels every call running now: the client is gone (stdin closed), so nobody waits for their results. */
    public void cancelAll() {
        running.values().forEach(Cancellation::cancel);
    }

    /**
     * Registers a call (or a later round of one, over a transport that knows it by another key) under its key, so a
     * cancel for that key reaches its {@link Cancellation}; close it when the call (or round) ends.
     */
    public Registration register(Optional<String> requestId) {
        Cancellation cancellation = new Cancellation();
        if (requestId.isEmpty()) {
            return new Registration(cancellation, () -> { });
        }
        String id = requestId.get();
        synchronized (this) {
            recentlyEnded.remove(id);
            Long cancelledAt = earlyCancels.remove(id);
            if (cancelledAt != null && nanoTime.getAsLong() - cancelledAt < EARLY_CANCEL_LIFETIME.toNanos()) {
                log.info("client cancelled request {} before it started", id);
                cancellation.cancel();
            }
            running.put(id, cancellation);
        }
        return new Registration(cancellation, () -> {
            synchronized (this) {
                if (running.remove(id, cancellation)) {
                    recentlyEnded.put(id, nanoTime.getAsLong());
                }
            }
        });
    }

    private static Map<String, Long> boundedMap() {
        return new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                return size() > EARLY_CANCELS_KEPT;
            }
        };
    }

    public record Registration(Cancellation cancellation, Runnable release) implements AutoCloseable {
        @Override
        public void close() {
            release.run();
        }
    }
}
