package dev.mcpsandbox.sandbox.backend;

/** The sandbox machinery itself failed (not the code inside it). Only our environment can cause this. */
public class SandboxException extends Exception {
    public SandboxException(String message) {
        super(message);
    }

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
