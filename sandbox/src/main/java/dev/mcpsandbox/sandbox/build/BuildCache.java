package dev.mcpsandbox.sandbox.build;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.mcpsandbox.sandbox.output.ProducedFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Compiled programs by content hash, so a program sent again skips its compiler. Entries live on disk in a
 * private directory of this server (mode 0700, removed on close); Caffeine keeps the index, bounded by weight in
 * bytes (its W-TinyLFU policy: a program compiled often outlives one compiled once), and its removal listener
 * deletes an entry's files once the entry has left the index. Only the host writes here, from what a compile
 * sandbox left behind once every process of it had ended; the run sandbox gets copies, so a run can never alter a
 * cached program.
 *
 * <p>Each stored entry has a directory of its own ({@code <key>-<n>}), never reused: the listener runs after the
 * index let go of the entry, possibly on another thread, and must not delete the files of a newer entry that
 * the same program stored meanwhile.
 */
public final class BuildCache implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BuildCache.class);

    /** One stored program: its own directory and its size, which is its weight. */
    private record Entry(Path dir, long bytes) {
    }

    private final Path root;
    private final long maxBytes;
    private final Cache<String, Entry> entries;
    private final AtomicLong sequence = new AtomicLong();

    private BuildCache(Path root, long maxBytes, Executor maintenance) {
        this.root = root;
        this.maxBytes = maxBytes;
        this.entries = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                // A program over 2 GiB cannot be weighed exactly; it is far past any budget this server is given.
                .<String, Entry>weigher((key, entry) -> (int) Math.min(entry.bytes(), Integer.MAX_VALUE))
                .executor(maintenance)
                .removalListener((String key, Entry entry, RemovalCause cause) -> {
                    if (entry != null) {
                        deleteTree(entry.dir());
                    }
                })
                .build();
    }

    public static BuildCache create(long maxBytes) throws IOException {
        return create(maxBytes, ForkJoinPool.commonPool());
    }

    /** {@code maintenance} runs eviction and file deletion; tests pass {@code Runnable::run} to see them at once. */
    static BuildCache create(long maxBytes, Executor maintenance) throws IOException {
        Path root = Files.createTempDirectory("mcp-sandbox-builds-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        return new BuildCache(root, maxBytes, maintenance);
    }

    /**
     * The cache key of one build: everything that decides the compiler's output. Fields are length-prefixed
     * so no two different builds can produce the same byte stream.
     */
    public static String key(String language, String toolchainVersion, String compiler, List<String> command,
                             String source) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            List<String> fields = new ArrayList<>(List.of(language, toolchainVersion, compiler));
            fields.addAll(command);
            fields.add(source);
            for (String field : fields) {
                byte[] bytes = field.getBytes(StandardCharsets.UTF_8);
                sha.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
                sha.update((byte) ':');
                sha.update(bytes);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * The program stored under {@code key}, read into memory (the run gets copies), or empty. An entry whose files
     * cannot be read is dropped and reported as a miss.
     */
    public Optional<List<ProducedFile>> find(String key) {
        Entry entry = entries.getIfPresent(key);
        if (entry == null) {
            return Optional.empty();
        }
        try (Stream<Path> walk = Files.walk(entry.dir())) {
            List<ProducedFile> files = new ArrayList<>();
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                byte[] content = Files.readAllBytes(p);
                files.add(new ProducedFile(entry.dir().relativize(p).toString(), "application/octet-stream",
                        content.length, Files.isExecutable(p), Optional.of(content)));
            }
            return Optional.of(files);
        } catch (IOException | UncheckedIOException e) {
            // Evicted while being read: its files went with it, a miss like any other.
            if (entries.asMap().remove(key, entry)) {
                log.warn("build cache entry {} is unreadable; compiling again", key, e);
            }
            return Optional.empty();
        }
    }

    /** Keeps {@code files} (all with content) under {@code key}; a program larger than the whole budget is not kept. */
    public void store(String key, List<ProducedFile> files) {
        long bytes = files.stream().mapToLong(ProducedFile::bytes).sum();
        if (bytes > maxBytes || entries.getIfPresent(key) != null) {
            return;
        }
        Path dir = root.resolve(key + "-" + sequence.incrementAndGet());
        Path staging = root.resolve(dir.getFileName() + ".tmp");
        try {
            for (ProducedFile f : files) {
                Path target = staging.resolve(f.path()).normalize();
                if (!target.startsWith(staging)) {
                    throw new IOException("build output escapes its directory: " + f.path());
                }
                Files.createDirectories(target.getParent());
                Files.write(target, f.content().orElseThrow());
                if (f.executable()) {
                    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
                }
            }
            Files.createDirectories(staging);
            Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            log.warn("cannot keep build {} in the cache", key, e);
            deleteTree(staging);
            return;
        }
        if (entries.asMap().putIfAbsent(key, new Entry(dir, bytes)) != null) {
            // Another run of the same program stored it first.
            deleteTree(dir);
        }
    }

    /** Programs in the cache now (after pending evictions). */
    public long size() {
        entries.cleanUp();
        return entries.estimatedSize();
    }

    /** Where the entries live on disk. */
    Path root() {
        return root;
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            log.debug("cannot remove {}", dir, e);
        }
    }

    @Override
    public void close() {
        entries.invalidateAll();
        entries.cleanUp();
        deleteTree(root);
    }
}
