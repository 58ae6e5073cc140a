package dev.mcpsandbox.server;

import org.junit.jupiter.api.Assumptions;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server's container image, built by bin/build-server-image from the jar under test on the engine under test,
 * and the docker commands the image tests run against that engine. Only in the docker-backend execution (it has
 * the engine): skipped elsewhere, and, like that execution, failing without an engine when
 * {@code -Dsandbox.docker.required=true}.
 */
record ServerImage(String image, String dockerHost) {
    /** Mode (a): what bubblewrap needs inside a container, and nothing else (README, "Container image"). */
    static final List<String> MODE_A = List.of("--network", "none", "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges", "--security-opt", "seccomp=unconfined",
            "--security-opt", "systempaths=unconfined");

    /** Builds {@code name:latest} (a name of the test's own, so that tests never replace a user's image). */
    static ServerImage build(String name) throws Exception {
        Assumptions.assumeTrue("docker".equals(System.getProperty("sandbox.backend")),
                "runs in the docker-backend execution, which has the engine");
        String host = BackendUnderTest.current().dockerHost().orElseThrow();
        Path root = Path.of(System.getProperty("mcpSandbox.root", "..")).toAbsolutePath().normalize();
        ProcessBuilder builder = new ProcessBuilder(root.resolve("bin/build-server-image").toString(), "--tag", name)
                .directory(root.toFile()).redirectErrorStream(true);
        builder.environment().put("DOCKER_HOST", host);
        Process build = builder.start();
        build.getOutputStream().close();
        String log = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(build.waitFor(10, TimeUnit.MINUTES)).isTrue();
        assertThat(build.exitValue()).as(log).isZero();
        assertThat(log).as("the training run made the class-data archive").doesNotContain("no class-data archive");
        return new ServerImage(name + ":latest", host);
    }

    /** {@code docker run -i --rm OPTIONS IMAGE SERVER_ARGS}. */
    List<String> run(List<String> options, List<String> serverArgs) {
        List<String> command = new ArrayList<>(List.of("docker", "run", "-i", "--rm"));
        command.addAll(options);
        command.add(image);
        command.addAll(serverArgs);
        return command;
    }

    /** The environment a docker command needs to reach the engine under test. */
    Map<String, String> env() {
        return Map.of("DOCKER_HOST", dockerHost);
    }

    /** A docker command against the engine under test, started with stdin open for the caller. */
    Process start(List<String> command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env());
        return builder.start();
    }

    /** Runs a docker command to its end: its exit code and its output (stdout and stderr together). */
    Result exec(List<String> command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env());
        Process p = builder.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
        return new Result(p.exitValue(), out);
    }

    /** Runs a docker command that must succeed; its output. */
    String docker(List<String> command) throws Exception {
        Result r = exec(command);
        assertThat(r.exitCode()).as(String.join(" ", command) + ":\n" + r.output()).isZero();
        return r.output();
    }

    record Result(int exitCode, String output) {
    }
}
