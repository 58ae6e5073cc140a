package dev.mcpsandbox.server.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Time from starting a process to the first line it prints: for the server, its answer to an {@code initialize}
 * written at once on its stdin (what a client waits for); for {@link JvmHello}, the JVM's own floor.
 */
final class StartupLatency {
    static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
            + "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"mcp-sandbox-bench\",\"version\":\"1\"}}}\n";

    private StartupLatency() {
    }

    /** Milliseconds to the first line, one per run; fails when that line is not what {@code expected} says. */
    static List<Double> firstLine(List<String> command, String stdin, String expected, int runs) throws IOException,
            InterruptedException {
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
            builder.environment().put("MCP_SANDBOX_LOG", "WARN");
            long t = System.nanoTime();
            Process p = builder.start();
            try (OutputStream in = p.getOutputStream();
                 BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
                in.flush();
                String line = out.readLine();
                ms.add((System.nanoTime() - t) / 1e6);
                if (line == null || !line.contains(expected)) {
                    throw new IllegalStateException(String.join(" ", command) + " answered " + line);
                }
            } finally {
                p.destroy();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                }
            }
        }
        return ms;
    }

    /** The JVM's floor: start, print one line, exit. */
    static final class JvmHello {
        public static void main(String[] args) {
            System.out.println("hello");
        }
    }
}
