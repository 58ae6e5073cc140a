package dev.mcpsandbox.sandbox.language;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class VersionCacheTest {
    private static final List<String> ARGS = List.of("--version");

    @TempDir
    Path dir;

    @Test
    void anAnswerIsReusedByTheNextStart_whileTheBinaryIsUnchanged() throws Exception {
        Path binary = Files.writeString(dir.resolve("python3"), "binary v1");
        Path file = dir.resolve("versions.json");
        VersionCache first = VersionCache.in(file);
        assertThat(first.lookup(binary, ARGS, List.of())).isEmpty();
        first.remember(binary, ARGS, List.of(), "Python 3.11.2\n");
        first.save();

        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(VersionCache.in(file).lookup(binary, ARGS, List.of())).contains("Python 3.11.2\n");
        assertThat(VersionCache.in(file).lookup(binary, List.of("-V"), List.of())).as("other arguments").isEmpty();
    }

    @Test
    void aReplacedBinary_isRunAgain() throws Exception {
        Path binary = Files.writeString(dir.resolve("node"), "binary v1");
        Path file = dir.resolve("versions.json");
        VersionCache cache = VersionCache.in(file);
        cache.remember(binary, ARGS, List.of(), "v20.0.0\n");
        cache.save();

        // An upgrade writes a new file over the old name (dpkg: a new inode); tar and npm keep the old mtime.
        Path upgraded = Files.writeString(dir.resolve("node.new"), "binary v2, longer");
        Files.setLastModifiedTime(upgraded, Files.getLastModifiedTime(binary));
        Files.move(upgraded, binary, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        assertThat(VersionCache.in(file).lookup(binary, ARGS, List.of())).isEmpty();
    }

    @Test
    void aChangedRequiredFile_isRunAgain() throws Exception {
        Path binary = Files.writeString(dir.resolve("node"), "binary");
        Path cli = Files.writeString(dir.resolve("cli.js"), "renderer 11.12");
        Path file = dir.resolve("versions.json");
        VersionCache cache = VersionCache.in(file);
        cache.remember(binary, ARGS, List.of(cli.toString()), "11.12.0\n");
        cache.save();
        assertThat(VersionCache.in(file).lookup(binary, ARGS, List.of(cli.toString()))).contains("11.12.0\n");

        Files.delete(cli);
        Files.writeString(cli, "renderer 11.13");
        assertThat(VersionCache.in(file).lookup(binary, ARGS, List.of(cli.toString()))).isEmpty();
    }

    @Test
    void aCorruptFile_startsEmpty_andNoneKeepsNothing() throws Exception {
        Path binary = Files.writeString(dir.resolve("ruby"), "binary");
        Path file = Files.writeString(dir.resolve("versions.json"), "{not json");
        assertThat(VersionCache.in(file).lookup(binary, ARGS, List.of())).isEmpty();

        VersionCache none = VersionCache.none();
        none.remember(binary, ARGS, List.of(), "ruby 3.1.2p20");
        assertThat(none.lookup(binary, ARGS, List.of())).isEmpty();
    }
}
