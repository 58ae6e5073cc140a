package dev.mcpsandbox.server.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Time from starting a process to the first line it prints: for the server, its answer to an {@code initialize}
 * written at once on its stdin (what a client waits for); for {@link JvmHello}, the JVM's own floor. The section
 * it writes (issue 17, item 5: {@code initialize} in at most 0.5 s) measures every command in turn, round after
 * round, so a change in the machine's load falls on all of them alike, and says what the load was.
 */
final class StartupLatency {
    static final String HEADING = "## Start-up";
    static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
            + "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"mcp-sandbox-bench\",\"version\":\"1\"}}}\n";
    private static final List<String> JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k");
    private static final Pattern PHASE = Pattern.compile("([a-z][a-z ]*?) (\\d+) ms");
    private static final Pattern TOTAL = Pattern.compile("\\((\\d+) ms after main\\)");

    private StartupLatency() {
    }

    /** One command to start: what to write on its stdin and what its first line must contain. */
    record Probe(String label, List<String> command, String stdin, String expected, Map<String, String> env) {
    }

    /** One start: wall-clock milliseconds to the first line, and the CPU the process had used by then. */
    record Sample(double ms, double cpuMs) {
    }

    /**
     * The section: the JVM's hello world, the launcher with its class-data archive and a bare {@code java -jar},
     * {@code runs} rounds each, then the server's own account of its phases (debug log) over a few more starts.
     */
    static String section(Path jar, Path launcher, int runs) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> hello = new ArrayList<>(List.of(java));
        hello.addAll(JVM_OPTIONS);
        hello.addAll(List.of("-cp", System.getProperty("java.class.path"), JvmHello.class.getName()));
        List<String> bare = new ArrayList<>(List.of(java));
        bare.addAll(JVM_OPTIONS);
        bare.addAll(List.of("-jar", jar.toString()));
        boolean archived = Files.exists(Path.of(jar.toString().replaceFirst("\\.jar$", ".jsa")));
        Map<String, String> quiet = Map.of("MCP_SANDBOX_LOG", "WARN");
        List<Probe> probes = List.of(
                new Probe("JVM hello world, same options", hello, "", "hello", quiet),
                new Probe("initialize: `bin/mcp-sandbox`" + (archived ? ", with its class-data archive"
                        : " (no class-data archive: run bin/cds-archive)"), List.of(launcher.toString()), INITIALIZE,
                        "\"serverInfo\"", quiet),
                new Probe("initialize: `java -jar`, no class-data archive", bare, INITIALIZE, "\"serverInfo\"", quiet));
        double loadBefore = load();
        Map<Probe, List<Sample>> samples = interleaved(probes, runs);
        double loadAfter = load();
        Map<String, List<Double>> phases = phases(launcher, Math.max(5, runs / 2));

        StringBuilder out = new StringBuilder();
        out.append(HEADING).append("\n\n");
        out.append(String.format(Locale.ROOT, "Measured on %s, %d cores, load average %.1f before and %.1f after; %d"
                + " rounds, each starting every command once in turn.%n%n", LocalDateTime.now().withNano(0),
                Runtime.getRuntime().availableProcessors(), loadBefore, loadAfter, runs));
        out.append("| process start to first line | median ms | p90 ms | median / hello world | CPU ms by then |\n");
        out.append("|---|---:|---:|---:|---:|\n");
        double floor = median(samples.get(probes.get(0)).stream().map(Sample::ms).toList());
        for (Probe probe : probes) {
            List<Double> ms = samples.get(probe).stream().map(Sample::ms).toList();
            List<Double> cpu = samples.get(probe).stream().map(Sample::cpuMs).toList();
            out.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.1f | %.0f |%n", probe.label(), median(ms),
                    quantile(ms, 0.9), median(ms) / floor, median(cpu)));
        }
        out.append("\nThe server's own account (`MCP_SANDBOX_LOG=DEBUG`, the `start-up:` line), median of ")
                .append(phases.values().stream().mapToInt(List::size).max().orElse(0))
                .append(" more starts through the launcher; it begins at `main`, so the JVM's start and answering"
                        + " the message are outside it:\n\n");
        out.append("| phase | median ms |\n|---|---:|\n");
        phases.forEach((phase, ms) -> out.append(String.format(Locale.ROOT, "| %s | %.0f |%n", phase, median(ms))));
        return out.toString();
    }

    /** Every probe once per round, in order, for {@code runs} rounds. */
    static Map<Probe, List<Sample>> interleaved(List<Probe> probes, int runs) throws IOException, InterruptedException {
        Map<Probe, List<Sample>> samples = new LinkedHashMap<>();
        probes.forEach(p -> samples.put(p, new ArrayList<>()));
        for (int i = 0; i < runs; i++) {
            for (Probe probe : probes) {
                samples.get(probe).add(firstLine(probe, ProcessBuilder.Redirect.DISCARD).sample());
            }
        }
        return samples;
    }

    private record Start(Sample sample, Process process) {
    }

    /** Starts the probe and waits for its first line; the process is stopped before this returns. */
    private static Start firstLine(Probe probe, ProcessBuilder.Redirect stderr) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(probe.command()).redirectError(stderr);
        builder.environment().putAll(probe.env());
        long t = System.nanoTime();
        Process p = builder.start();
        try (OutputStream in = p.getOutputStream();
             BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            in.write(probe.stdin().getBytes(StandardCharsets.UTF_8));
            in.flush();
            String line = out.readLine();
            double ms = (System.nanoTime() - t) / 1e6;
            double cpu = p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L) / 1e6;
            if (line == null || !line.contains(probe.expected())) {
                throw new IllegalStateException(String.join(" ", probe.command()) + " answered " + line);
            }
            return new Start(new Sample(ms, cpu), p);
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        }
    }

    /** The phases of the server's {@code start-up:} debug line, over {@code runs} starts of the launcher. */
    private static Map<String, List<Double>> phases(Path launcher, int runs) throws IOException, InterruptedException {
        Map<String, List<Double>> phases = new LinkedHashMap<>();
        for (int i = 0; i < runs; i++) {
            Path log = Files.createTempFile("mcp-sandbox-startup", ".log");
            try {
                firstLine(new Probe("debug", List.of(launcher.toString()), INITIALIZE, "\"serverInfo\"",
                        Map.of("MCP_SANDBOX_LOG", "DEBUG")), ProcessBuilder.Redirect.to(log.toFile()));
                String line = Files.readAllLines(log).stream().filter(l -> l.contains("start-up: ")).findFirst()
                        .orElseThrow(() -> new IllegalStateException("no start-up line in the server's debug log"));
                Matcher m = PHASE.matcher(line.substring(line.indexOf("start-up: ") + "start-up: ".length()));
                while (m.find()) {
                    phases.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(Double.parseDouble(m.group(2)));
                }
                Matcher total = TOTAL.matcher(line);
                if (total.find()) {
                    phases.computeIfAbsent("all of the above", k -> new ArrayList<>())
                            .add(Double.parseDouble(total.group(1)));
                }
            } finally {
                Files.deleteIfExists(log);
            }
        }
        return phases;
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static double median(List<Double> values) {
        return quantile(values, 0.5);
    }

    private static double quantile(List<Double> values, double q) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

    /** The JVM's floor: start, print one line, exit. */
    static final class JvmHello {
        public static void main(String[] args) {
            System.out.println("hello");
        }
    }
}
