package dev.mcpsandbox.server.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.sandbox.backend.scratch.ScratchSpace;
import dev.mcpsandbox.server.HostProcesses;
import dev.mcpsandbox.server.SandboxServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one-line Java install: jbang runs the release's catalog alias ({@code jbang mcp-sandbox@CATALOG}) and the Java
 * SDK's client gets 42 from Python through it. jbang is its CLI from Maven Central ({@code dev.jbang:jbang-cli},
 * the self-contained "all" jar, put in target/jbang by the pom), in a fresh jbang home, with this machine's Java 17
 * (JAVA_HOME): jbang must take it rather than download a JDK. The release is laid out as bin/release lays it out
 * (the catalog at the top, the jar in lib/).
 *
 * <p>jbang's CLI does not start the program itself: it prints the command and exits with 255, and the launcher
 * script of jbang's distribution ({@code bin/jbang}) then runs that command in its own place. Maven Central carries
 * the CLI without that script (and jbang's download site cannot be reached here), so {@link #LAUNCHER} does the
 * script's part of that contract, and nothing else.
 */
class JbangCatalogIT {
    /** jbang's launcher contract: run the CLI; on 255 its output is the command to run in the launcher's place. */
    private static final String LAUNCHER = """
            #!/bin/bash
            out=$("$JAVA_HOME/bin/java" -jar "$(dirname "$0")/jbang.jar" "$@")
            rc=$?
            if [ "$rc" -eq 255 ]; then
              eval "exec $out"
            fi
            [ -z "$out" ] || printf '%s\\n' "$out"
            exit "$rc"
            """;

    private Path scratch;

    @AfterEach
    void removeScratch() {
        if (scratch != null) {
            ScratchSpace.deleteTree(scratch);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void jbangRunsTheReleaseCatalogAlias_withThisMachinesJava_andAnswers42() throws Exception {
        Path serverJar = SandboxServer.jar();
        Path jbangJar = Path.of(System.getProperty("jbang.jar", "target/jbang/jbang.jar")).toAbsolutePath();
        SandboxServer.requireOrSkip(Files.isRegularFile(jbangJar), "jbang's CLI is not at " + jbangJar
                + " (the pom's maven-dependency-plugin puts it there in pre-integration-test)");
        Path root = Path.of(System.getProperty("mcpSandbox.root", "..")).toAbsolutePath().normalize();
        String version = System.getProperty("mcpSandbox.version");
        scratch = Files.createTempDirectory("jbang-catalog-it");
        Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxr-xr-x"));

        Path release = scratch.resolve("mcp-sandbox-" + version);
        Files.createDirectories(release.resolve("lib"));
        Path catalog = Files.copy(root.resolve("jbang-catalog.json"), release.resolve("jbang-catalog.json"));
        Path releasedJar = Files.copy(serverJar, release.resolve("lib/mcp-sandbox.jar"));

        Path jbangBin = Files.createDirectories(scratch.resolve("jbang/bin"));
        Files.copy(jbangJar, jbangBin.resolve("jbang.jar"));
        Path jbang = Files.writeString(jbangBin.resolve("jbang"), LAUNCHER);
        Files.setPosixFilePermissions(jbang, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path jbangHome = scratch.resolve("home/.jbang");
        Map<String, String> env = new HashMap<>();
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("JBANG_DIR", jbangHome.toString());
        env.put("HOME", scratch.resolve("home").toString());

        SandboxServer server = SandboxServer.builder().launcher(List.of(jbang.toString(), "mcp-sandbox@" + catalog))
                .env(env).start();
        List<Long> jvms;
        try {
            assertThat(server.client().getServerInfo().version()).as("the server's version").isEqualTo(version);
            Map<String, Object> r = server.execute("python", "print(6*7)");
            assertThat(r.get("stdout")).as("stderr: %s; server log: %s", r.get("stderr"), server.stderrLines())
                    .isEqualTo("42\n");

            jvms = HostProcesses.matching(c -> c.contains(releasedJar.toString()));
            assertThat(jvms).as("the JVM jbang started for the alias").hasSize(1);
            String commandLine = new String(Files.readAllBytes(Path.of("/proc", jvms.get(0).toString(), "cmdline")))
                    .replace('\0', ' ');
            assertThat(commandLine).as("the JVM's command line").startsWith(System.getProperty("java.home") + "/bin/java ");
            JsonNode alias = new ObjectMapper().readTree(catalog.toFile()).path("aliases").path("mcp-sandbox");
            for (JsonNode option : alias.path("java-options")) {
                assertThat(commandLine).as("the catalog's java-options").contains(" " + option.asText() + " ");
            }
        } finally {
            server.close();
        }
        for (long pid : jvms) {
            ProcessHandle.of(pid).ifPresent(p -> p.onExit().orTimeout(60, TimeUnit.SECONDS).join());
        }
        // jbang took this machine's Java 17: it downloaded no JDK into its home.
        assertThat(jbangHome.resolve("jdks")).as("JDKs jbang installed").satisfiesAnyOf(
                p -> assertThat(p).doesNotExist(), p -> assertThat(p).isEmptyDirectory());
        assertThat(String.join("\n", server.stderrLines())).as("jbang's and the server's log")
                .doesNotContainIgnoringCase("downloading jdk");
    }
}
