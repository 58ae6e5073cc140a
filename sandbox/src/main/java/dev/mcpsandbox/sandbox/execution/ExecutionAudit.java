package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.tools.audit.AuditEvent;
import dev.mcpsandbox.tools.audit.AuditSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** One JSON line in the audit log, and one log line, per execution: what ran (by hash), how it ended. */
public final class ExecutionAudit implements ExecutionListener {
    private static final Logger log = LoggerFactory.getLogger(ExecutionAudit.class);
    private static final int LOGGED_DETAIL = 120;

    private final AuditSink audit;

    public ExecutionAudit(AuditSink audit) {
        this.audit = audit;
    }

    @Override
    public void ended(Ended e) {
        Map<String, Long> limitValues = new LinkedHashMap<>();
        e.limits().ifPresent(l -> {
            for (ResourceLimits.Key k : ResourceLimits.Key.values()) {
                limitValues.put(k.jsonName(), l.get(k));
            }
        });
        byte[] code = e.request().code().getBytes(StandardCharsets.UTF_8);
        String kind = e.outcome().kind().label();
        String detail = e.outcome().detail();
        int toolCalls = e.outcome().report().map(r -> r.toolCalls().size()).orElse(0);
        audit.record(new AuditEvent.ExecutionFinished(e.at(), e.executionId(), e.request().language(), sha256(code),
                code.length, limitValues, kind, detail, e.took().toMillis(), toolCalls));
        e.outcome().report().ifPresent(r -> r.network().forEach(c -> audit.record(new AuditEvent.NetworkConnection(
                e.at(), e.executionId(), c.host(), c.port(), c.allowed(), c.bytesOut(), c.bytesIn(), c.reason()))));
        log.info("{} {} {} {} in {} ms", e.executionId(), e.request().language(), kind,
                detail.length() > LOGGED_DETAIL ? detail.substring(0, LOGGED_DETAIL) : detail, e.took().toMillis());
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
