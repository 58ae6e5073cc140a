package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.sandbox.build.BuildCache;
import dev.mcpsandbox.sandbox.language.CompilerNeeds;
import dev.mcpsandbox.sandbox.language.DetectedLanguage;
import dev.mcpsandbox.sandbox.language.Language;
import dev.mcpsandbox.sandbox.output.Harvest;
import dev.mcpsandbox.sandbox.output.ProducedFile;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The compile phase of a compiled language. The compiler runs in a sandbox of its own that holds only the
 * source (in a session, also the declarations its type checker reads) — no input files, no stdin, no tool
 * bridge — so its output depends on nothing but what the cache key covers, and nothing the program does at run
 * time can reach the cached build.
 */
final class Compilation {
    /** Everything a compiler may leave; a bigger build is refused rather than cached in part. */
    private static final Harvest BUILD_OUTPUT = new Harvest(Language.BUILD_DIR, 4096, 512L << 20, 1L << 30);
    private static final int DISK_FLOOR_MB = 256;
    private static final int FILE_SIZE_FLOOR_MB = 128;

    /** How the compile phase ended. */
    sealed interface Built {
    }

    /** A program ready to run, from the cache or just compiled. */
    record Ready(List<ProducedFile> program, boolean cached, Duration took) implements Built {
    }

    /** The compiler refused the code or was stopped; {@code raw} holds its diagnostics. */
    record Rejected(SandboxRun.Raw raw, Duration took) implements Built {
    }

    private final Sandboxes sandboxes;
    private final BuildCache cache;

    Compilation(Sandboxes sandboxes, BuildCache cache) {
        this.sandboxes = sandboxes;
        this.cache = cache;
    }

    /** @param companions files the compiler reads beside the source (relative path to content); part of the key */
    Built build(String executionId, DetectedLanguage language, List<String> compileCommand, String entryFile,
                String source, Map<String, String> companions, ResourceLimits limits, CallContext context)
            throws SandboxException, InterruptedException {
        long started = System.nanoTime();
        List<String> keyed = new ArrayList<>(compileCommand);
        new TreeMap<>(companions).forEach((path, content) -> keyed.addAll(List.of(path, content)));
        String key = BuildCache.key(language.id(), language.version(), language.binary(), keyed, source);
        Optional<List<ProducedFile>> cached = cache.find(key);
        if (cached.isPresent()) {
            return new Ready(cached.get(), true, Duration.ofNanos(System.nanoTime() - started));
        }
        CompilerNeeds needs = language.language().compilerNeeds();
        SandboxSpec spec = SandboxRun.spec(executionId + "-compile", language, compileCommand, GoLine.LAUNCHER, limits,
                needs.addressSpaceMb());
        Map<String, byte[]> files = new TreeMap<>();
        companions.forEach((path, content) -> files.put(path, content.getBytes(StandardCharsets.UTF_8)));
        SandboxRun.Raw raw = sandboxes.runFresh(spec, new SandboxRun.Inputs(entryFile, source, files, List.of(),
                new byte[0]), BUILD_OUTPUT,
                SandboxRun.BridgeOpener.NONE, new CallContext(context.cancellation(), context.confirmer(), line -> { }));
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        boolean complete = raw.produced().omitted() == 0
                && raw.produced().files().stream().allMatch(f -> f.content().isPresent());
        if (raw.exitCode().orElse(-1) != 0 || raw.stoppedFor().isPresent() || raw.cancelled() || !complete) {
            return new Rejected(raw, took);
        }
        cache.store(key, raw.produced().files());
        return new Ready(raw.produced().files(), false, took);
    }

    /**
     * The compiler runs under the request's limits, raised to what the toolchain needs at least but never above
     * the operator's maxima, with its own time allowance instead of the run's.
     */
    static ResourceLimits limits(ResourceLimits run, CompilerNeeds needs, ResourceLimits maxima, int timeoutSeconds) {
        return new ResourceLimits(timeoutSeconds,
                Math.min(Math.max(run.memoryMb(), needs.memoryMb()), maxima.memoryMb()),
                Math.min(Math.max(run.processes(), needs.processes()), maxima.processes()),
                run.outputBytes(),
                Math.min(Math.max(run.fileSizeMb(), FILE_SIZE_FLOOR_MB), maxima.fileSizeMb()),
                Math.min(Math.max(run.diskMb(), DISK_FLOOR_MB), maxima.diskMb()),
                0);
    }
}
