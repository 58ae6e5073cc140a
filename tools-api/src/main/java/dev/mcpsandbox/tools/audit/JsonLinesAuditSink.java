package dev.mcpsandbox.tools.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Appends one JSON object per line to a file, flushed per event so a crash loses nothing already answered. */
public final class JsonLinesAuditSink implements AuditSink {
    private static final Logger log = LoggerFactory.getLogger(JsonLinesAuditSink.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final BufferedWriter writer;

    private JsonLinesAuditSink(Path file, BufferedWriter writer) {
        this.file = file;
        this.writer = writer;
    }

    public static JsonLinesAuditSink open(Path file) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        return new JsonLinesAuditSink(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE));
    }

    @Override
    public synchronized void record(AuditEvent event) {
        try {
            writer.write(JSON.writeValueAsString(toJson(event)));
            writer.newLine();
            writer.flush();
        } catch (IOException e) {
            log.error("cannot write audit line to {}: {}", file, e.getMessage());
        }
    }

    private static ObjectNode toJson(AuditEvent event) {
        ObjectNode n = JSON.createObjectNode();
        n.put("at", event.at().toString());
        n.put("executionId", event.executionId());
        if (event instanceof AuditEvent.ExecutionFinished e) {
            n.put("event", "execution");
            n.put("language", e.language());
            n.put("codeSha256", e.codeSha256());
            n.put("codeBytes", e.codeBytes());
            ObjectNode limits = n.putObject("limits");
            e.limits().forEach(limits::put);
            n.put("outcome", e.outcome());
            n.put("detail", e.detail());
            n.put("durationMs", e.durationMs());
            n.put("toolCalls", e.toolCalls());
        } else if (event instanceof AuditEvent.ToolCalled c) {
            n.put("event", "tool_call");
            n.put("tool", c.tool());
            n.put("argumentBytes", c.argumentBytes());
            n.put("outcome", c.outcome());
            c.reason().ifPresent(r -> n.put("reason", r));
            n.put("durationMs", c.durationMs());
        } else if (event instanceof AuditEvent.NetworkConnection c) {
            n.put("event", "network");
            n.put("host", c.host());
            n.put("port", c.port());
            n.put("allowed", c.allowed());
            n.put("bytesOut", c.bytesOut());
            n.put("bytesIn", c.bytesIn());
            n.put("reason", c.reason());
        } else {
            throw new IllegalStateException("unknown audit event " + event.getClass());
        }
        return n;
    }

    @Override
    public synchronized void close() {
        try {
            writer.close();
        } catch (IOException e) {
            log.warn("cannot close audit file {}: {}", file, e.getMessage());
        }
    }
}
