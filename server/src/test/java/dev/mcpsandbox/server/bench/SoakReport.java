package dev.mcpsandbox.server.bench;

import dev.mcpsandbox.server.bench.Soak.Load;
import dev.mcpsandbox.server.bench.Soak.Result;
import dev.mcpsandbox.server.bench.Soak.Verdict;
import dev.mcpsandbox.server.bench.SoakServer.Ending;
import dev.mcpsandbox.server.bench.SoakServer.Sample;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** The soak's section of BENCHMARKS.md: how it runs, its figures, and the RSS and descriptor series with their slopes. */
final class SoakReport {
    static final String HEADING = "## Soak";

    private SoakReport() {
    }

    static String section(Result r) {
        Load load = r.load();
        int cores = Runtime.getRuntime().availableProcessors();
        StringBuilder s = new StringBuilder();
        s.append(HEADING).append("\n\n");
        s.append("`bin/bench soak [N]` (default 20,000; not in CI): one server in HTTP mode (a free loopback port, a token), ")
                .append(r.clients()).append(" MCP sessions over Streamable HTTP (the Java SDK client), each making N/")
                .append(r.clients()).append(" `execute_code` calls of `print(i*7)` in turn; every answer must be exactly"
                + " `i*7`, and is counted right, wrong, lost (an exception or a timeout in the client) or refused (\"the"
                + " server is busy\", or HTTP 429). The server runs ").append(r.maxConcurrent())
                .append(" executions at once and queues ").append(r.clients() * 4).append(", so the sessions wait; it has"
                + " no pool (after a burst a pool stays at up to twice its size, so \"nothing beyond the start\" could"
                + " not be exact) and its limits per client are raised (the sessions share one token). Its RSS, open"
                + " descriptors, processes and work directories (under `execution.workRoot`) are read at the start,"
                + " every ").append(String.format(Locale.ROOT, "%,d", Soak.CHECKPOINT_EVERY)).append(" executions (N/4"
                + " in a shorter run) and after a ").append(r.restSeconds()).append(" s rest, so a leak shows as a slope."
                + " The run fails (exit 1) on any answer not right, on processes or work directories beyond the start"
                + " after the rest, or on anything left after SIGTERM (a process, a file under the work root, a mount)."
                + " Each run rewrites this section; a full `bin/bench` rewrites the file without it.\n\n");

        String when = String.format(Locale.ROOT, "Measured from %s, %d cores, load average %.1f at the start",
                r.started(), cores, r.loadAverage());
        List<String> caveats = new ArrayList<>();
        if (r.executions() < 20_000) {
            caveats.add("a short run (" + String.format(Locale.ROOT, "%,d", r.executions()) + " executions)");
        }
        if (r.loadAverage() > cores) {
            caveats.add("on a shared, loaded machine: absolute times are not comparable with a quiet run");
        }
        s.append(when).append(caveats.isEmpty() ? "." : ": **" + String.join(", ", caveats) + "**.").append(" `")
                .append(r.passed() ? "PASSED" : "FAILED").append("`.\n\n");

        s.append("| measure | value |\n|---|---:|\n");
        row(s, "executions", String.format(Locale.ROOT, "%,d", r.executions()));
        row(s, "per second", String.format(Locale.ROOT, "%.1f", r.executions() / load.seconds()));
        row(s, "p50 / p99 ms (one call, end to end, queueing included)", String.format(Locale.ROOT, "%.0f / %.0f",
                load.p50Ms(), load.p99Ms()));
        row(s, "right / wrong / lost / refused", load.count(Verdict.RIGHT) + " / " + load.count(Verdict.WRONG) + " / "
                + load.count(Verdict.LOST) + " / " + load.count(Verdict.REFUSED));
        row(s, "processes beyond the start, after the rest", signed(load.rest().processes() - load.start().processes()));
        row(s, "work directories beyond the start, after the rest",
                signed(load.rest().workEntries() - load.start().workEntries()));
        row(s, "open descriptors beyond the start, after the rest",
                signed(load.rest().descriptors() - load.start().descriptors()));
        Ending e = r.ending();
        row(s, "left after SIGTERM: processes / work-root entries / mounts", (e.exited() ? "" : "(did not exit) ")
                + e.processesLeft() + " / " + e.workEntriesLeft() + " / " + e.mountsLeft());
        row(s, "server log lines at WARN or above", Integer.toString(r.serverWarnings().size()));
        s.append('\n');

        s.append("| point | executions | RSS MB | open descriptors | of which sockets | processes | work directories |\n");
        s.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (Sample p : load.series()) {
            s.append(String.format(Locale.ROOT, "| %s | %,d | %.1f | %d | %d | %d | %d |%n", p.point(), p.executions(),
                    p.rssKb() / 1024.0, p.descriptors(), p.sockets(), p.processes(), p.workEntries()));
        }
        s.append(String.format(Locale.ROOT, "| slope per 1,000 executions, under load | | %s | %s | %s | | |%n",
                slope(load.underLoad(), p -> p.rssKb() / 1024.0, "%+.2f"),
                slope(load.underLoad(), Sample::descriptors, "%+.2f"),
                slope(load.underLoad(), Sample::sockets, "%+.2f")));
        s.append('\n');
        s.append("The slope is the least-squares fit over the points under load (the start is idle, so it is left out)."
                + " RSS is the server JVM's own (sandboxes are separate processes); it rises while the heap grows to its"
                + " working size, so a leak is a slope that persists over a long run. Descriptors include the HTTP"
                + " connections the sessions keep open; processes and work directories under load are the runs in"
                + " flight.\n");
        if (!r.serverWarnings().isEmpty()) {
            s.append("\nThe server's first warnings:\n\n");
            r.serverWarnings().stream().limit(3).forEach(w -> s.append("- `")
                    .append(w.length() > 300 ? w.substring(0, 300) + "…" : w).append("`\n"));
        }
        if (!load.examples().isEmpty()) {
            s.append("\nFirst answers that were not right:\n\n");
            load.examples().forEach(x -> s.append("- `").append(x.replace('`', '\'')).append("`\n"));
        }
        return s.toString();
    }

    private static void row(StringBuilder s, String measure, String value) {
        s.append("| ").append(measure).append(" | ").append(value).append(" |\n");
    }

    private static String signed(int n) {
        return n > 0 ? "+" + n : Integer.toString(n);
    }

    private static String slope(List<Sample> points, ToDoubleFunction<Sample> y, String format) {
        double slope = slopePerThousand(points, y);
        return Double.isNaN(slope) ? "n/a" : String.format(Locale.ROOT, format, slope);
    }

    /** Least-squares slope of y against executions, per 1,000 executions; NaN with fewer than two distinct points. */
    static double slopePerThousand(List<Sample> points, ToDoubleFunction<Sample> y) {
        double n = points.size();
        double meanX = points.stream().mapToDouble(p -> p.executions() / 1000.0).sum() / n;
        double meanY = points.stream().mapToDouble(y).sum() / n;
        double covariance = 0;
        double variance = 0;
        for (Sample p : points) {
            double dx = p.executions() / 1000.0 - meanX;
            covariance += dx * (y.applyAsDouble(p) - meanY);
            variance += dx * dx;
        }
        return variance == 0 ? Double.NaN : covariance / variance;
    }

    /**
     * Puts the section in place of the file's previous one (from its heading to the next {@code ## } heading),
     * or at the end; the rest of the file is left as it was.
     */
    static void replaceSection(Path file, String section) throws IOException {
        replaceSection(file, HEADING, section);
    }

    /** As above, for the section under {@code heading} (the whole heading line). */
    static void replaceSection(Path file, String heading, String section) throws IOException {
        List<String> lines = Files.exists(file) ? new ArrayList<>(Files.readAllLines(file)) : new ArrayList<>();
        int from = lines.indexOf(heading);
        StringBuilder out = new StringBuilder();
        if (from < 0) {
            lines.forEach(l -> out.append(l).append('\n'));
            if (!lines.isEmpty() && !lines.get(lines.size() - 1).isBlank()) {
                out.append('\n');
            }
            out.append(section);
        } else {
            int to = from + 1;
            while (to < lines.size() && !lines.get(to).startsWith("## ")) {
                to++;
            }
            lines.subList(0, from).forEach(l -> out.append(l).append('\n'));
            out.append(section);
            if (to < lines.size()) {
                out.append('\n');
            }
            lines.subList(to, lines.size()).forEach(l -> out.append(l).append('\n'));
        }
        Files.writeString(file, out.toString());
    }
}
