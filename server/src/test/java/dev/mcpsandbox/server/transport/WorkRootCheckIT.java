package dev.mcpsandbox.server.transport;

import dev.mcpsandbox.server.SandboxServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A work root the sandbox users cannot reach: as root the server runs sandboxes as other uids, and a 0700
 * directory above the work root made every run fail with "bwrap: Can't find source path" after --check
 * had approved the configuration.
 */
class WorkRootCheckIT {
    @Test
    void check_refusesAWorkRootUnderADirectoryTheSandboxUsersCannotEnter_namingItAndTheFix(@TempDir Path temp)
            throws Exception {
        Path jar = Path.of(System.getProperty("mcpSandbox.jar", "target/mcp-sandbox.jar")).toAbsolutePath();
        SandboxServer.requireOrSkip(Files.exists(jar), "the server jar is not built at " + jar);
        SandboxServer.requireOrSkip(Files.isExecutable(Path.of("/usr/bin/bwrap")), "bubblewrap is not installed");
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("sandbox.backend", "bubblewrap").equals("bubblewrap"));
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "only a root server runs sandboxes as other uids");
        Path closed = Files.createDirectory(temp.resolve("private"));
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
        Path config = temp.resolve("config.json");
        Files.writeString(config, "{\"execution\":{\"workRoot\":\"" + closed.resolve("work") + "\"}}");

        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                jar.toString(), "--config", config.toString(), "--check").redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        String stderr = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(stderr).isNotZero();
        assertThat(stderr).contains(closed.toString()).contains("chmod o+x " + closed).doesNotContain("sandbox OK");
    }
}
