package dev.mcpsandbox.sandbox.session;

/** A call that cannot have its session now (a cap, a full queue, caps that differ); the message says what to do. */
public final class SessionRefused extends Exception {
    public SessionRefused(String message) {
        super(message);
    }
}
