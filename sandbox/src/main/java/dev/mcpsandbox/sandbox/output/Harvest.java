package dev.mcpsandbox.sandbox.output;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Collects the files code left in one directory of its work directory ({@code out/} for results,
 * {@code .build/} for compiled programs). It runs on the host after every process of the sandbox is dead,
 * and the directory was written by untrusted code: symbolic links (a link to a host file would be read
 * with the server's rights) and anything but regular files are skipped, nothing is followed, and the
 * walk is bounded in depth, count and bytes.
 *
 * @param directory        the directory, relative to the work directory
 * @param maxFiles         files listed at most; more are counted in {@link Result#omitted()}
 * @param inlineBytesEach  a file larger than this is listed without its content
 * @param inlineBytesTotal the contents of all files together stay within this
 */
public record Harvest(String directory, int maxFiles, long inlineBytesEach, long inlineBytesTotal) {
    private static final int MAX_DEPTH = 8;
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("png", "image/png"), Map.entry("jpg", "image/jpeg"), Map.entry("jpeg", "image/jpeg"),
            Map.entry("gif", "image/gif"), Map.entry("svg", "image/svg+xml"), Map.entry("webp", "image/webp"),
            Map.entry("txt", "text/plain"), Map.entry("log", "text/plain"), Map.entry("md", "text/markdown"),
            Map.entry("csv", "text/csv"), Map.entry("tsv", "text/tab-separated-values"), Map.entry("html", "text/html"),
            Map.entry("htm", "text/html"), Map.entry("xml", "application/xml"), Map.entry("json", "application/json"),
            Map.entry("pdf", "application/pdf"), Map.entry("zip", "application/zip"));

    /** What was found: the files in path order, and how many more there were than {@code maxFiles}. */
    public record Result(List<ProducedFile> files, int omitted) {
        public static final Result NONE = new Result(List.of(), 0);

        public Result {
            files = List.copyOf(files);
        }
    }

    /** @param workDir the sandbox's work directory on the host; its processes must all have ended */
    public Result collect(Path workDir) {
        Path root = workDir.resolve(directory);
        if (maxFiles == 0 || !Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            return Result.NONE;
        }
        List<Path> found = new ArrayList<>();
        try {
            Files.walkFileTree(root, EnumSet.noneOf(java.nio.file.FileVisitOption.class), MAX_DEPTH,
                    new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                            if (attrs.isRegularFile()) {
                                found.add(file);
                            }
                            return found.size() > 10_000 ? FileVisitResult.TERMINATE : FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFileFailed(Path file, IOException e) {
                            return FileVisitResult.CONTINUE;
                        }
                    });
        } catch (IOException e) {
            return Result.NONE;
        }
        found.sort(Comparator.comparing(p -> root.relativize(p).toString()));
        List<ProducedFile> files = new ArrayList<>();
        long inlined = 0;
        for (Path file : found.subList(0, Math.min(found.size(), maxFiles))) {
            Optional<ProducedFile> read = read(root, file, inlineBytesTotal - inlined);
            if (read.isPresent()) {
                files.add(read.get());
                inlined += read.get().content().map(c -> (long) c.length).orElse(0L);
            }
        }
        return new Result(files, Math.max(0, found.size() - maxFiles));
    }

    /**
     * A file read inside the sandbox (by a session's agent, whose processes outlive the run): its bytes, whole or
     * only the first ones.
     */
    public record Listed(String path, long size, boolean executable, byte[] bytes, boolean whole) {
    }

    /**
     * The result from files read inside the sandbox, held to this harvest's bounds again: what lists them runs
     * beside the code, so the listing is the code's word.
     */
    public Result fromListing(List<Listed> listing, int omitted) {
        List<Listed> sane = listing.stream()
                .filter(f -> !f.path().isEmpty() && !f.path().startsWith("/") && f.size() >= 0
                        && java.util.Arrays.stream(f.path().split("/")).noneMatch(p -> p.isEmpty() || p.equals("..")
                        || p.equals(".")) && f.path().chars().noneMatch(Character::isISOControl))
                .sorted(Comparator.comparing(Listed::path))
                .distinct()
                .toList();
        List<ProducedFile> files = new ArrayList<>();
        long inlined = 0;
        for (Listed f : sane.subList(0, Math.min(sane.size(), maxFiles))) {
            boolean inline = f.whole() && f.bytes().length == f.size() && f.size() <= inlineBytesEach
                    && f.size() <= inlineBytesTotal - inlined;
            byte[] head = java.util.Arrays.copyOf(f.bytes(), Math.min(f.bytes().length, 4096));
            files.add(new ProducedFile(f.path(), mimeType(f.path(), head), f.size(), f.executable(),
                    inline ? Optional.of(f.bytes()) : Optional.empty()));
            inlined += inline ? f.size() : 0;
        }
        return new Result(files, Math.max(0, omitted) + Math.max(0, sane.size() - maxFiles));
    }

    private Optional<ProducedFile> read(Path root, Path file, long budgetLeft) {
        String relative = root.relativize(file).toString().replace(java.io.File.separatorChar, '/');
        // NOFOLLOW_LINKS: the file may have been swapped for a link after the walk saw it; refuse to open a link.
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attrs.isRegularFile()) {
                return Optional.empty();
            }
            long size = channel.size();
            boolean executable = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS)
                    .contains(PosixFilePermission.OWNER_EXECUTE);
            Optional<byte[]> content = Optional.empty();
            if (size <= inlineBytesEach && size <= budgetLeft) {
                try (InputStream in = Channels.newInputStream(channel)) {
                    byte[] bytes = in.readNBytes((int) size + 1);
                    if (bytes.length <= size) {
                        content = Optional.of(bytes);
                    }
                }
            }
            byte[] head = content.orElseGet(() -> headOf(file));
            return Optional.of(new ProducedFile(relative, mimeType(relative, head), size, executable, content));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // a link (ELOOP) or a file we may not read: not the code's result
        }
    }

    private static byte[] headOf(Path file) {
        try (InputStream in = Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            return in.readNBytes(4096);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    /** The type the name claims, kept for images only when the first bytes agree. */
    static String mimeType(String name, byte[] head) {
        int dot = name.lastIndexOf('.');
        String extension = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        String claimed = TYPES.getOrDefault(extension, "application/octet-stream");
        if (!claimed.startsWith("image/")) {
            return claimed;
        }
        return looksLike(claimed, head) ? claimed : "application/octet-stream";
    }

    private static boolean looksLike(String imageType, byte[] head) {
        return switch (imageType) {
            case "image/png" -> startsWith(head, 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a);
            case "image/jpeg" -> startsWith(head, 0xff, 0xd8, 0xff);
            case "image/gif" -> startsWith(head, 'G', 'I', 'F', '8');
            case "image/webp" -> startsWith(head, 'R', 'I', 'F', 'F') && head.length >= 12 && head[8] == 'W' && head[9] == 'E';
            case "image/svg+xml" -> new String(head, 0, Math.min(head.length, 4096), StandardCharsets.UTF_8).contains("<svg");
            default -> false;
        };
    }

    private static boolean startsWith(byte[] head, int... expected) {
        if (head.length < expected.length) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if ((head[i] & 0xff) != expected[i]) {
                return false;
            }
        }
        return true;
    }
}
