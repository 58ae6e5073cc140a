package dev.mcpsandbox.tools.audit;

/** Where audit events go. Implementations must not throw: auditing never fails a request. */
public interface AuditSink extends AutoCloseable {

    AuditSink NONE = new AuditSink() {
        @Override
        public void record(AuditEvent event) {
        }

        @Override
        public void close() {
        }
    };

    void record(AuditEvent event);

    @Override
    void close();
}
