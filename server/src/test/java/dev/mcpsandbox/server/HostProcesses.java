package dev.mcpsandbox.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** Live (not zombie) processes on the host, found by their command line, as tests see them from outside. */
public final class HostProcesses {
    private HostProcesses() {
    }

    /** Pids whose NUL-separated command line satisfies {@code cmdline}. */
    public static List<Long> matching(Predicate<String> cmdline) throws IOException {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> proc = Files.list(Path.of("/proc"))) {
            for (Path dir : (Iterable<Path>) proc::iterator) {
                String name = dir.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String line = new String(Files.readAllBytes(dir.resolve("cmdline")), StandardCharsets.UTF_8);
                    String stat = Files.readString(dir.resolve("stat"));
                    boolean zombie = stat.substring(stat.lastIndexOf(')') + 2).charAt(0) == 'Z';
                    if (!zombie && cmdline.test(line)) {
                        pids.add(Long.parseLong(name));
                    }
                } catch (IOException e) {
                    // exited while we looked
                }
            }
        }
        return pids;
    }

    /** The processes running exactly {@code sleep <marker>}. */
    public static List<Long> sleeping(String marker) throws IOException {
        return matching(c -> c.equals("sleep\0" + marker + "\0"));
    }
}
