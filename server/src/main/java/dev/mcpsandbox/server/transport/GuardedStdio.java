package dev.mcpsandbox.server.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import dev.mcpsandbox.server.tools.InFlightCalls;

/**
 * Guards both directions of the stdio channel. The SDK's stdio transport ends the whole session on
 * one line that is not a JSON-RPC message, so lines are checked here first: a bad line is answered
 * with a JSON-RPC error (parse error, invalid request, too large) and dropped, and the session goes on.
 * Outgoing bytes are written a whole line at a time under one lock, so those answers never interleave
 * with the SDK's own responses.
 */
public final class GuardedStdio {
    private static final Logger log = LoggerFactory.getLogger(GuardedStdio.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.regex.Pattern ID_FIELD =
            java.util.regex.Pattern.compile("\"id\"\\s*:\\s*(-?\\d{1,18}|\"(?:[^\"\\\\]|\\\\.){0,256}\")");

    private final LineInput input;
    private final LineOutput output;

    /**
     * @param endOfInput runs once when stdin ends: the client is gone, whatever requests it left pending
     */
    public GuardedStdio(InputStream in, OutputStream out, int maxLineBytes, Runnable endOfInput) {
        this(in, out, maxLineBytes, endOfInput, new InFlightCalls());
    }

    /** @param calls receives {@code notifications/cancelled}; {@code tools/call} requests are tagged with their id */
    public GuardedStdio(InputStream in, OutputStream out, int maxLineBytes, Runnable endOfInput, InFlightCalls calls) {
        this.output = new LineOutput(out);
        this.input = new LineInput(new BufferedInputStream(in, 65536), maxLineBytes, output, endOfInput, calls);
    }

    public InputStream input() {
        return input;
    }

    public OutputStream output() {
        return output;
    }

    /** Buffers until a newline, then writes the line in one locked write. */
    static final class LineOutput extends OutputStream {
        private final OutputStream out;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        LineOutput(OutputStream out) {
            this.out = out;
        }

        @Override
        public synchronized void write(int b) throws IOException {
            pending.write(b);
            if (b == '\n') {
                emit();
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            int start = off;
            for (int i = off; i < off + len; i++) {
                if (b[i] == '\n') {
                    pending.write(b, start, i - start + 1);
                    emit();
                    start = i + 1;
                }
            }
            pending.write(b, start, off + len - start);
        }

        synchronized void writeLine(String line) throws IOException {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        private void emit() throws IOException {
            pending.writeTo(out);
            pending.reset();
            out.flush();
        }

        @Override
        public synchronized void flush() throws IOException {
            out.flush();
        }
    }

    /** Hands the SDK only lines that are JSON-RPC messages; answers the rest itself. */
    static final class LineInput extends InputStream {
        private final InputStream in;
        private final int maxLineBytes;
        private final LineOutput replies;
        private final Runnable endOfInput;
        private final InFlightCalls calls;
        private byte[] current = new byte[0];
        private int position;
        private boolean eof;

        LineInput(InputStream in, int maxLineBytes, LineOutput replies, Runnable endOfInput, InFlightCalls calls) {
            this.in = in;
            this.calls = calls;
            this.endOfInput = endOfInput;
            this.maxLineBytes = maxLineBytes;
            this.replies = replies;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (position >= current.length) {
                if (eof || !nextAcceptedLine()) {
                    if (eof) {
                        signalEnd();
                    }
                    return -1;
                }
            }
            int n = Math.min(len, current.length - position);
            System.arraycopy(current, position, b, off, n);
            position += n;
            return n;
        }

        private boolean ended;

        private void signalEnd() {
            if (!ended) {
                ended = true;
                endOfInput.run();
            }
        }

        /** Reads lines until one is acceptable (stored in {@code current}); false at end of input. */
        private boolean nextAcceptedLine() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            boolean tooLong = false;
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                if (line.size() < maxLineBytes) {
                    line.write(c);
                } else {
                    tooLong = true;
                }
            }
            if (c == -1) {
                eof = true;
                if (line.size() == 0) {
                    return false;
                }
            }
            if (tooLong) {
                reply(idNear(line), -32600, "Invalid Request: message larger than " + maxLineBytes + " bytes");
                return !eof;
            }
            String text = line.toString(StandardCharsets.UTF_8).strip();
            if (text.isEmpty()) {
                return !eof;
            }
            JsonNode message = parsed(text);
            if (message == null) {
                return !eof;
            }
            current = (tagged(message, text) + "\n").getBytes(StandardCharsets.UTF_8);
            position = 0;
            return true;
        }

        /** The message when the line may go to the SDK; null when it was refused (and already answered). */
        private JsonNode parsed(String text) throws IOException {
            JsonNode node;
            try {
                node = JSON.readTree(text);
            } catch (IOException e) {
                reply(null, -32700, "Parse error: the line is not JSON");
                return null;
            }
            return problemWith(node) == null ? node : null;
        }

        /** Tags {@code tools/call} requests and acts on {@code notifications/cancelled} (see {@link InFlightCalls}). */
        private String tagged(JsonNode message, String text) throws IOException {
            String method = message.path("method").asText("");
            if (!method.equals("tools/call") && !method.equals("notifications/cancelled")) {
                return text;
            }
            return InFlightCalls.write(calls.observe(message, ""));
        }

        /** Null when the message may go to the SDK; otherwise the reason, already answered. */
        private String problemWith(JsonNode node) throws IOException {
            if (node != null && node.isArray()) {
                return refuseBatch(node);
            }
            if (node == null || !node.isObject()) {
                return reply(null, -32600, "Invalid Request: a message must be a JSON object");
            }
            JsonNode id = node.get("id");
            JsonNode validId = id != null && (id.isTextual() || id.isIntegralNumber()) ? id : null;
            if (!"2.0".equals(node.path("jsonrpc").asText())) {
                return reply(validId, -32600, "Invalid Request: \"jsonrpc\" must be \"2.0\"");
            }
            boolean request = node.path("method").isTextual();
            boolean response = validId != null && (node.has("result") || node.has("error"));
            if (!request && !response) {
                return reply(validId, -32600, "Invalid Request: a message needs a \"method\" (request or"
                        + " notification) or an \"id\" with \"result\"/\"error\" (response)");
            }
            if (id != null && validId == null) {
                return reply(null, -32600, "Invalid Request: \"id\" must be a string or an integer");
            }
            if (node.has("params") && !node.get("params").isObject() && !node.get("params").isArray()) {
                return reply(validId, -32602, "Invalid params: \"params\" must be an object");
            }
            return null;
        }

        /** A batch gets an error for each of its requests (see {@link JsonRpcErrors#forBatch}). */
        private String refuseBatch(JsonNode batch) throws IOException {
            log.warn("stdin: {}", JsonRpcErrors.NO_BATCHES);
            replies.writeLine(JSON.writeValueAsString(JsonRpcErrors.forBatch(batch, JSON)));
            return JsonRpcErrors.NO_BATCHES;
        }

        /**
         * The id of an oversized message, read from its start (clients write "id" before "params"), so the
         * client can match the refusal to its request instead of waiting for its timeout.
         */
        private static JsonNode idNear(ByteArrayOutputStream start) {
            byte[] bytes = start.toByteArray();
            String head = new String(bytes, 0, Math.min(bytes.length, 4096), StandardCharsets.UTF_8);
            java.util.regex.Matcher m = ID_FIELD.matcher(head);
            if (!m.find()) {
                return null;
            }
            try {
                return JSON.readTree(m.group(1));
            } catch (IOException e) {
                return null;
            }
        }

        private String reply(JsonNode id, int code, String message) throws IOException {
            log.warn("stdin: {}", message);
            replies.writeLine(JSON.writeValueAsString(JsonRpcErrors.one(id, code, message, JSON)));
            return message;
        }
    }
}
