package dev.mcpsandbox.sandbox.build;

import dev.mcpsandbox.sandbox.output.ProducedFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The cache on a real temporary directory; Caffeine's maintenance runs on the calling thread to be seen at once. */
class BuildCacheTest {
    private BuildCache cache;

    @AfterEach
    void close() {
        if (cache != null) {
            cache.close();
        }
    }

    @Test
    void storedProgram_comesBackAsCopiesARunCannotAlter() throws IOException {
        cache = BuildCache.create(1 << 20, Runnable::run);
        cache.store("k", List.of(file("bin/main", "binary", true), file("main.h", "header", false)));

        List<ProducedFile> first = cache.find("k").orElseThrow();
        assertThat(first).extracting(ProducedFile::path).containsExactly("bin/main", "main.h");
        assertThat(first).extracting(ProducedFile::executable).containsExactly(true, false);
        first.get(0).content().orElseThrow()[0] = 'X';

        List<ProducedFile> second = cache.find("k").orElseThrow();
        assertThat(new String(second.get(0).content().orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("binary");
    }

    @Test
    void unknownKey_isAMiss() throws IOException {
        cache = BuildCache.create(1 << 20, Runnable::run);
        assertThat(cache.find("nothing")).isEmpty();
    }

    @Test
    void storesPastTheByteBudget_evictOneEntry_andDeleteItsFiles() throws IOException {
        cache = BuildCache.create(100, Runnable::run);
        for (String key : List.of("a", "b", "c")) {
            cache.store(key, List.of(file("prog", "x".repeat(40), true)));
        }

        // 3 x 40 bytes exceed 100; two fit. Which one goes is Caffeine's policy, not pinned here.
        assertThat(cache.size()).isEqualTo(2);
        List<String> kept = Stream.of("a", "b", "c").filter(k -> cache.find(k).isPresent()).toList();
        assertThat(kept).hasSize(2);
        assertThat(entryDirectories()).as("only the kept entries have files on disk").hasSize(2)
                .allSatisfy(dir -> assertThat(kept).anyMatch(k -> dir.startsWith(k + "-")));
    }

    @Test
    void programLargerThanTheWholeBudget_isNotKept() throws IOException {
        cache = BuildCache.create(100, Runnable::run);
        cache.store("small", List.of(file("prog", "x".repeat(60), true)));
        cache.store("huge", List.of(file("prog", "x".repeat(101), true)));

        assertThat(cache.find("huge")).isEmpty();
        assertThat(cache.find("small")).as("a program too big to keep evicts nothing").isPresent();
        assertThat(entryDirectories()).hasSize(1);
    }

    @Test
    void secondStoreOfTheSameProgram_keepsOneCopy() throws IOException {
        cache = BuildCache.create(1 << 20, Runnable::run);
        cache.store("k", List.of(file("prog", "one", true)));
        cache.store("k", List.of(file("prog", "two", true)));

        assertThat(new String(cache.find("k").orElseThrow().get(0).content().orElseThrow(), StandardCharsets.UTF_8))
                .isEqualTo("one");
        assertThat(entryDirectories()).hasSize(1);
    }

    @Test
    void outputThatEscapesItsDirectory_isNotKept() throws IOException {
        cache = BuildCache.create(1 << 20, Runnable::run);
        cache.store("k", List.of(file("../../escaped", "x", false)));

        assertThat(cache.find("k")).isEmpty();
        assertThat(cache.root().getParent().resolve("escaped")).doesNotExist();
        assertThat(entryDirectories()).isEmpty();
    }

    @Test
    void entryWhoseFilesVanished_isDroppedAsAMiss() throws IOException {
        cache = BuildCache.create(1 << 20, Runnable::run);
        cache.store("k", List.of(file("prog", "x", true)));
        for (String dir : entryDirectories()) {
            Files.delete(cache.root().resolve(dir).resolve("prog"));
            Files.delete(cache.root().resolve(dir));
        }

        assertThat(cache.find("k")).isEmpty();
        assertThat(cache.size()).isZero();
    }

    @Test
    void cacheDirectory_isPrivate_andCloseRemovesIt() throws IOException {
        cache = BuildCache.create(1 << 20, Runnable::run);
        cache.store("k", List.of(file("prog", "x", true)));
        Path root = cache.root();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root))).isEqualTo("rwx------");

        cache.close();
        assertThat(root).doesNotExist();
        assertThat(cache.find("k")).isEmpty();
    }

    @Test
    void key_dependsOnEveryField_andCannotBeForgedByMovingABoundary() {
        String base = BuildCache.key("c", "12", "/usr/bin/gcc", List.of("-O2"), "int main;");
        assertThat(BuildCache.key("c", "12", "/usr/bin/gcc", List.of("-O2"), "int main;")).isEqualTo(base);
        assertThat(BuildCache.key("c", "13", "/usr/bin/gcc", List.of("-O2"), "int main;")).isNotEqualTo(base);
        assertThat(BuildCache.key("c", "12", "/usr/bin/gcc", List.of("-O3"), "int main;")).isNotEqualTo(base);
        assertThat(BuildCache.key("c", "12", "/usr/bin/gcc", List.of("-O2"), "int main();")).isNotEqualTo(base);
        assertThat(BuildCache.key("c", "12", "/usr/bin/gcc", List.of("-O", "2"), "int main;"))
                .isNotEqualTo(BuildCache.key("c", "12", "/usr/bin/gcc", List.of("-O2"), "int main;"));
    }

    private List<String> entryDirectories() throws IOException {
        try (Stream<Path> list = Files.list(cache.root())) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static ProducedFile file(String path, String content, boolean executable) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        return new ProducedFile(path, "application/octet-stream", bytes.length, executable, Optional.of(bytes));
    }
}
