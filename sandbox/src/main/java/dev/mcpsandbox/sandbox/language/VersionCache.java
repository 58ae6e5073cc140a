package dev.mcpsandbox.sandbox.language;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What each toolchain printed for its version at an earlier start, so a start-up need not run them again (starting
 * javac, rustc and go for a version line took 0.4-0.7 s of every start, most of the time to {@code initialize}).
 * An answer is reused only while every file it depends on is the very same: the binary, the language's required
 * files and dpkg's status file (a package upgrade elsewhere, e.g. libsqlite3 under Python), each compared by inode,
 * size and change time; ctime, not mtime, because npm and tar restore mtimes (every file in an npm package says
 * 1985). Anything else, an unreadable or foreign file included, means: run the binary as before.
 */
public final class VersionCache {
    private static final Logger log = LoggerFactory.getLogger(VersionCache.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path PACKAGE_DATABASE = Path.of("/var/lib/dpkg/status");

    /** @param stamp identity of every file the output depends on; {@code output} what the binary printed */
    record Entry(List<String> stamp, String output) {
    }

    private final Optional<Path> file;
    private final Map<String, Entry> entries;
    private volatile boolean changed;

    private VersionCache(Optional<Path> file, Map<String, Entry> entries) {
        this.file = file;
        this.entries = new ConcurrentHashMap<>(entries);
    }

    /** No cache: every start-up runs each toolchain. */
    public static VersionCache none() {
        return new VersionCache(Optional.empty(), Map.of());
    }

    /** The cache kept in {@code file} (which need not exist yet); an unreadable one starts empty. */
    public static VersionCache in(Path file) {
        Map<String, Entry> loaded = Map.of();
        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            try {
                loaded = JSON.readValue(file.toFile(), new TypeReference<Map<String, Entry>>() { });
            } catch (IOException | RuntimeException e) {
                log.info("ignoring the toolchain version cache {}: {}", file, e.getMessage());
            }
        }
        return new VersionCache(Optional.of(file), loaded);
    }

    /** The output {@code binary arguments} printed before, if nothing it depends on changed since. */
    Optional<String> lookup(Path binary, List<String> arguments, List<String> requiredFiles) {
        Entry entry = entries.get(key(binary, arguments));
        if (entry == null) {
            return Optional.empty();
        }
        return stamp(binary, requiredFiles).filter(entry.stamp()::equals).map(s -> entry.output());
    }

    void remember(Path binary, List<String> arguments, List<String> requiredFiles, String output) {
        if (file.isEmpty()) {
            return;
        }
        stamp(binary, requiredFiles).ifPresent(s -> {
            entries.put(key(binary, arguments), new Entry(s, output));
            changed = true;
        });
    }

    /** Writes what changed (readable by this user only), replacing the file in one step. */
    void save() {
        if (file.isEmpty() || !changed) {
            return;
        }
        Path target = file.get();
        try {
            Path temporary = Files.createTempFile(target.getParent(), ".toolchain-versions", ".json",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            JSON.writeValue(temporary.toFile(), new TreeMap<>(entries));
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            log.info("cannot keep the toolchain versions in {}: {}", target, e.getMessage());
        }
    }

    private static String key(Path binary, List<String> arguments) {
        return binary + "\u0000" + String.join("\u0000", arguments);
    }

    private static Optional<List<String>> stamp(Path binary, List<String> requiredFiles) {
        List<String> stamp = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        files.add(binary);
        requiredFiles.forEach(f -> files.add(Path.of(f)));
        files.add(PACKAGE_DATABASE);
        for (Path f : files) {
            try {
                Map<String, Object> a = Files.readAttributes(f, "unix:ino,size,ctime");
                stamp.add(f + ":" + a.get("ino") + ":" + a.get("size") + ":" + ((FileTime) a.get("ctime")).to(TimeUnit.NANOSECONDS));
            } catch (IOException | UnsupportedOperationException e) {
                if (!f.equals(PACKAGE_DATABASE)) {
                    return Optional.empty();
                }
            }
        }
        return Optional.of(List.copyOf(stamp));
    }
}
