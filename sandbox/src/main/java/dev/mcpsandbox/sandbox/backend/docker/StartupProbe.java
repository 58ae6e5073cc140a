package dev.mcpsandbox.sandbox.backend.docker;

import dev.mcpsandbox.config.DockerConfig;
import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.BackendHealth;
import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.RunLimits;
import dev.mcpsandbox.sandbox.backend.Sandbox;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a container backend checks before it serves: that the engine answers and offers the runtime, that the
 * images are there and hold each language's binary, and, by running one real sandbox that reads its own view of
 * itself, that the engine enforces what {@link ContainerSpecs} asks for. A daemon configuration that silently
 * drops a promise (a runtime without seccomp, a user override) stops the server instead of weakening every run.
 */
final class StartupProbe {
    private static final Duration PROBE_EXIT_LIMIT = Duration.ofSeconds(30);

    private final EngineConnection engine;
    private final DockerConfig config;
    private final ContainerRuntime runtime;
    private final HostLayout layout;
    private final Session session;
    private final ContainerFactory containers;

    StartupProbe(EngineConnection engine, DockerConfig config, ContainerRuntime runtime, HostLayout layout,
                 Session session, ContainerFactory containers) {
        this.engine = engine;
        this.config = config;
        this.runtime = runtime;
        this.layout = layout;
        this.session = session;
        this.containers = containers;
    }

    /**
     * The languages whose binary cannot run, each with what to do about it, and for the others which image
     * runs which binary. One short container per image answers for all of that image's binaries
     * ({@link ImageContents}).
     *
     * @param reasons       language → why it cannot run here
     * @param imageByBinary binary → the image it was found in
     */
    record ImageCheck(Map<String, String> reasons, Map<String, String> imageByBinary) {
    }

    BackendHealth selfCheck() {
        List<String> enforced = new ArrayList<>();
        List<String> weakened = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        Optional<String> unreachable = engine.unreachable();
        if (unreachable.isPresent()) {
            return new BackendHealth(false, enforced, weakened, List.of(unreachable.get()));
        }
        runtime.missingFrom(runtimesIfAsked(), config).ifPresent(failures::add);
        if (!engine.hasImage(config.image())) {
            failures.add("image " + config.image() + " is not in the engine at " + config.host() + ": build it with"
                    + " bin/build-images (offline, from this host's runtimes), or set docker.image");
        }
        if (!failures.isEmpty()) {
            return new BackendHealth(false, enforced, weakened, failures);
        }
        probe(enforced, failures);
        if (layout.diskQuota()) {
            enforced.add("disk quota per sandbox (tmpfs)");
        } else {
            weakened.add("no disk quota per sandbox (needs a root server to mount a tmpfs): only the per-file size"
                    + " limit applies");
        }
        return new BackendHealth(failures.isEmpty(), enforced, weakened, failures);
    }

    /** The engine is asked for its runtimes only when the runtime is not its default, which it always has. */
    private Set<String> runtimesIfAsked() {
        return runtime.engineRuntime(config).isPresent() ? engine.runtimes() : Set.of();
    }

    /** Runs one real sandbox and compares its {@code /proc/self/status} with what the runtime must show. */
    private void probe(List<String> enforced, List<String> failures) {
        ResourceLimits limits = new ResourceLimits(30, 128, 16, 65_536, 1, 16, 0);
        SandboxSpec spec = new SandboxSpec("probe", List.of("/bin/cat", "/proc/self/status"), List.of(),
                Map.of("PATH", "/usr/bin:/bin"), limits, 128, GoLine.LAUNCHER);
        String where = "a probe container (image " + config.image() + ", runtime " + runtime.describe(config) + ")";
        String status;
        try (Sandbox sandbox = containers.create(spec)) {
            sandbox.begin(new RunLimits(10, 1024 * 1024, 64, 128L * 1024 * 1024, 0), new byte[0]);
            byte[] out = sandbox.stdout().readNBytes(64 * 1024);
            Optional<Integer> exit = sandbox.awaitExit(PROBE_EXIT_LIMIT);
            status = new String(out, StandardCharsets.UTF_8);
            if (exit.isEmpty() || exit.get() != 0) {
                failures.add(where + " did not run: exit " + exit.map(String::valueOf).orElse("none") + ", stderr: "
                        + new String(sandbox.stderr().readNBytes(2048), StandardCharsets.UTF_8).strip());
                return;
            }
        } catch (SandboxException | IOException e) {
            failures.add(where + " could not start: " + e.getMessage());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failures.add("interrupted while probing the engine");
            return;
        }
        for (ContainerRuntime.ProbeExpectation expected : runtime.probeExpectations(layout.sandboxUid())) {
            String actual = status.lines().filter(l -> l.startsWith(expected.field() + ":"))
                    .map(l -> l.substring(expected.field().length() + 1).strip()).findFirst().orElse("(missing)");
            if (actual.equals(expected.value())) {
                enforced.add(expected.promise());
            } else {
                failures.add("a probe container shows " + expected.field() + " " + actual + " instead of "
                        + expected.value() + ": the engine does not enforce " + expected.promise());
            }
        }
        enforced.addAll(runtime.promises(config));
        enforced.add("no network (network mode none), read-only root filesystem, own PID/IPC/UTS/mount namespaces");
        enforced.add("memory, process and CPU caps (cgroups set by the engine)");
    }

    /** Checks that each language's image is in the engine and holds its binary (language → binary given). */
    ImageCheck images(Map<String, String> binaryByLanguage) {
        Map<String, Map<String, String>> byImage = new LinkedHashMap<>();
        binaryByLanguage.forEach((language, binary) ->
                byImage.computeIfAbsent(config.imageFor(language), image -> new LinkedHashMap<>()).put(language, binary));
        Map<String, String> reasons = new LinkedHashMap<>();
        Map<String, String> imageByBinary = new LinkedHashMap<>();
        byImage.forEach((image, binaries) -> {
            if (!engine.hasImage(image)) {
                binaries.keySet().forEach(language -> reasons.put(language, "image " + image + " is not in the Docker"
                        + " engine: build it with bin/build-images"
                        + (config.images().containsKey(language) ? "" : " or set docker.images." + language)));
                return;
            }
            Set<String> missing;
            try {
                missing = ImageContents.missing(engine.client(), image, new LinkedHashSet<>(binaries.values()),
                        layout.sandboxUid(), ContainerSpecs.labels(session, runtime.backendName(), "image-check"));
            } catch (SandboxException e) {
                binaries.keySet().forEach(language -> reasons.put(language, "cannot look into image " + image + ": "
                        + e.getMessage()));
                return;
            }
            binaries.forEach((language, binary) -> {
                if (missing.contains(binary)) {
                    reasons.put(language, "image " + image + " has no " + binary + " (the runtime found on this host):"
                            + " rebuild it with bin/build-images after installing the runtime, or set docker.images."
                            + language);
                } else {
                    imageByBinary.put(binary, image);
                }
            });
        });
        return new ImageCheck(reasons, imageByBinary);
    }
}
