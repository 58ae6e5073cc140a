package dev.mcpsandbox.sandbox.build;

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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Compiled programs by content hash, so a program sent again skips its compiler. Entries live on disk in a
 * private directory of this server (mode 0700, removed on close) and are evicted least recently used past a
 * byte budget. Only the host writes here, from what a compile sandbox left behind once every process of it
 * had ended; the run sandbox gets copies, so a run can never alter a cached program.
 */
public final class BuildCache implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BuildCache.class);

    private final Path root;
    private final long maxBytes;
    /** Key → bytes on disk, in access order: the eldest is evicted first. */
    private final LinkedHashMap<String, Long> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long totalBytes;

    private BuildCache(Path root, long maxBytes) {
        this.root = root;
        this.maxBytes = maxBytes;
    }

    public static BuildCache create(long maxBytes) throws IOException {
        Path root = Files.createTempDirectory("mcp-sandbox-builds-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        return new BuildCache(root, maxBytes);
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

    /** The program stored under {@code key}, or empty; a damaged entry is dropped and reported as a miss. */
    public synchronized Optional<List<ProducedFile>> find(String key) {
        if (!entries.containsKey(key)) {
            return Optional.empty();
        }
        Path dir = root.resolve(key);
        try (Stream<Path> walk = Files.walk(dir)) {
            List<ProducedFile> files = new ArrayList<>();
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                byte[] content = Files.readAllBytes(p);
                files.add(new ProducedFile(dir.relativize(p).toString(), "application/octet-stream", content.length,
                        Files.isExecutable(p), Optional.of(content)));
            }
            return Optional.of(files);
        } catch (IOException | UncheckedIOException e) {
            log.warn("build cache entry {} is unreadable; compiling again", key, e);
            remove(key);
            return Optional.empty();
        }
    }

    /** Keeps {@code files} (all with content) under {@code key}; a program larger than the whole budget is not kept. */
    public synchronized void store(String key, List<ProducedFile> files) {
        long bytes = files.stream().mapToLong(ProducedFile::bytes).sum();
        if (entries.containsKey(key) || bytes > maxBytes) {
            return;
        }
        Path staging = root.resolve(key + ".tmp");
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
            Files.move(staging, root.resolve(key), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            log.warn("cannot keep build {} in the cache", key, e);
            deleteTree(staging);
            return;
        }
        entries.put(key, bytes);
        totalBytes += bytes;
        Iterator<Map.Entry<String, Long>> eldest = entries.entrySet().iterator();
        while (totalBytes > maxBytes && eldest.hasNext()) {
            Map.Entry<String, Long> e = eldest.next();
            eldest.remove();
            totalBytes -= e.getValue();
            deleteTree(root.resolve(e.getKey()));
        }
    }

    public synchronized int size() {
        return entries.size();
    }

    private void remove(String key) {
        Long bytes = entries.remove(key);
        if (bytes != null) {
            totalBytes -= bytes;
        }
        deleteTree(root.resolve(key));
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
    public synchronized void close() {
        entries.clear();
        deleteTree(root);
    }
}
