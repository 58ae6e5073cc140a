package dev.mcpsandbox.sandbox.execution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.sandbox.language.DetectedLanguage;
import dev.mcpsandbox.sandbox.language.Language;
import dev.mcpsandbox.sandbox.language.RunOptions;
import dev.mcpsandbox.sandbox.output.Harvest;
import dev.mcpsandbox.sandbox.pool.WarmPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A language's lane of the warm pool with the operator's modules loaded ahead of each call
 * ({@code forkServer.preload}, for languages without a fork server: JavaScript). Once per server a sandbox of its
 * own tries every module; each that does not load is logged here, once, and left out, so no pre-started sandbox
 * pays for it again. Then the lane starts, its sandboxes loading the rest before they wait for their go line.
 * Until then (a node start plus the modules, in the background) calls of that language start their own sandbox.
 */
final class ModulePreloads {
    private static final Logger log = LoggerFactory.getLogger(ModulePreloads.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Harvest NOTHING = new Harvest("out", 0, 0, 0);

    private ModulePreloads() {
    }

    /**
     * @param plain   the spec of a call with the default limits: the check runs with it, and the lane serves it
     * @param modules what the operator named for this language
     * @param check   the program that tries them ({@link Language#modulePreloadCheck})
     */
    static void startLane(WarmPool pool, Sandboxes sandboxes, DetectedLanguage language, RunOptions options,
                          SandboxSpec plain, ResourceLimits limits, List<String> modules, String check, int size) {
        Language lang = language.language();
        String key = "forkServer.preload." + language.id();
        List<String> loaded;
        long began = System.nanoTime();
        try {
            SandboxSpec checkSpec = SandboxRun.spec("preload-check", language, plain.command(), plain.goLine(), limits);
            SandboxRun.Raw raw = sandboxes.runFresh(checkSpec,
                    SandboxRun.Inputs.source(language.entryFile(""), check), NOTHING,
                    SandboxRun.BridgeOpener.NONE, CallContext.detached());
            Optional<Map<String, String>> failed = failures(raw.stdout().text());
            if (failed.isEmpty()) {
                log.warn("{}: cannot tell which modules load (the check ended with {}: {}); pre-started {} sandboxes"
                        + " load none", key, raw.exitCode().map(String::valueOf).orElse("no exit status"),
                        lastLine(raw.stderr().text()), language.id());
                loaded = List.of();
            } else {
                failed.get().forEach((module, reason) -> log.warn("{}: {} does not load in a sandbox ({}); left out",
                        key, module, reason));
                loaded = modules.stream().filter(m -> !failed.get().containsKey(m)).toList();
            }
        } catch (SandboxException e) {
            log.warn("{}: cannot check the modules ({}); pre-started {} sandboxes load none", key, e.getMessage(),
                    language.id());
            loaded = List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        Optional<Language.ModulePreload> preload = lang.modulePreload(language.binary(), language.entryFile(""),
                options, loaded);
        if (preload.isPresent()) {
            try {
                for (Map.Entry<String, String> f : preload.get().guestFiles().entrySet()) {
                    sandboxes.backend().installGuestFile(f.getKey(), f.getValue(), false);
                }
                pool.keep(language.id(), SandboxRun.spec("pool", language, preload.get().command(), plain.goLine(),
                        limits), plain, size);
                log.info("{}: pre-started {} sandboxes load {} (the check took {} ms)", key, language.id(), loaded,
                        (System.nanoTime() - began) / 1_000_000);
                return;
            } catch (SandboxException e) {
                log.warn("{}: cannot install the module loader ({}); pre-started {} sandboxes load none", key,
                        e.getMessage(), language.id());
            }
        }
        pool.keep(language.id(), plain, size);
    }

    /** The check's verdict from its last marked line: module to reason; empty when the check never got there. */
    static Optional<Map<String, String>> failures(String stdout) {
        int at = stdout.lastIndexOf(Language.ModulePreload.FAILED_MARK);
        if (at < 0) {
            return Optional.empty();
        }
        String line = stdout.substring(at + Language.ModulePreload.FAILED_MARK.length()).strip();
        try {
            JsonNode pairs = JSON.readTree(line);
            if (!pairs.isArray()) {
                return Optional.empty();
            }
            Map<String, String> failed = new LinkedHashMap<>();
            for (JsonNode pair : pairs) {
                failed.put(pair.path(0).asText(), pair.path(1).asText());
            }
            return Optional.of(failed);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String lastLine(String text) {
        List<String> lines = text.strip().lines().toList();
        return lines.isEmpty() ? "no output" : lines.get(lines.size() - 1);
    }
}
