package dev.mcpsandbox.server.transport;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;

/**
 * Runs an action just before the answer to a request leaves for the client. The Streamable HTTP transport
 * writes a call's result as an SSE event, flushes it, and only then completes the response and returns
 * through the filters; a client that got its result and sent its next call at once could arrive before
 * the filter released the previous call's place, and be refused as "too many concurrent" (about 7% of
 * calls for eight sessions with one call each in flight). The SDK flushes once per message, so each flush
 * is one message; the action runs when that message is a JSON-RPC response (it has "result" or "error"),
 * not a notification or a request to the client.
 */
final class AnswerWatchingResponse extends HttpServletResponseWrapper {
    private static final JsonFactory JSON = new JsonFactory();

    private final Runnable beforeAnswer;
    private PrintWriter writer;

    AnswerWatchingResponse(HttpServletResponse response, Runnable beforeAnswer) {
        super(response);
        this.beforeAnswer = beforeAnswer;
    }

    @Override
    public PrintWriter getWriter() throws IOException {
        if (writer == null) {
            writer = new PrintWriter(new Watching(super.getWriter()));
        }
        return writer;
    }

    /**
     * Writes through at once (so nothing waits on a flush that never comes) and keeps the start of the
     * message written since the last flush: a response names "result" or "error" before its content, so the
     * first few kilobytes tell. The message is only whole for the client once flushed.
     */
    private final class Watching extends Writer {
        private static final int HEAD_CHARS = 4096;
        private final PrintWriter out;
        private final StringBuilder head = new StringBuilder();

        Watching(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void write(char[] buf, int off, int len) throws IOException {
            if (head.length() < HEAD_CHARS) {
                head.append(buf, off, Math.min(len, HEAD_CHARS - head.length()));
            }
            out.write(buf, off, len);
            failIfClosed();
        }

        @Override
        public void flush() throws IOException {
            if (isResponse(head)) {
                beforeAnswer.run();
            }
            head.setLength(0);
            out.flush();
            failIfClosed();
        }

        @Override
        public void close() throws IOException {
            flush();
            out.close();
        }

        private void failIfClosed() throws IOException {
            if (out.checkError()) {
                throw new IOException("the client's connection is closed");
            }
        }
    }

    /** True when the text (one SSE event, or a bare JSON body) carries a JSON-RPC response. */
    static boolean isResponse(CharSequence text) {
        String s = text.toString();
        StringBuilder data = new StringBuilder();
        for (String line : s.split("\n")) {
            if (line.startsWith("data:")) {
                data.append(line.substring(5)).append('\n');
            }
        }
        String json = data.length() > 0 ? data.toString() : s;
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String name = p.currentName();
                if (name.equals("result") || name.equals("error")) {
                    return true;
                }
                if (name.equals("method")) {
                    return false;
                }
                p.nextToken();
                p.skipChildren();
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }
}
