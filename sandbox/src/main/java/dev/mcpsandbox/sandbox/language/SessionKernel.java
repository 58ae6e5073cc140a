package dev.mcpsandbox.sandbox.language;

import java.util.List;

/**
 * A language's interpreter kept alive between the calls of a session, so that what one call defines the next
 * one sees. The session's agent starts it with {@code argv} the first time a call needs it and hands it one
 * {@code file} per call (protocol: the header of session/agent.py).
 *
 * @param key  which kernel: languages with the same key share one (and its state) within a session
 * @param argv the command that starts the kernel inside the sandbox
 * @param file the file, as the sandbox sees it, that a call hands the kernel to run
 */
public record SessionKernel(String key, List<String> argv, String file) {
    public SessionKernel {
        argv = List.copyOf(argv);
    }

    /** Where languages install their kernels under the guest directory (/opt/mcp-sandbox). */
    static final String GUEST_DIR = "session/";
}
