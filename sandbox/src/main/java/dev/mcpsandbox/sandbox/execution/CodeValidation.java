package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.backend.GoLine;
import dev.mcpsandbox.sandbox.backend.SandboxException;
import dev.mcpsandbox.sandbox.backend.SandboxSpec;
import dev.mcpsandbox.sandbox.language.AdvisoryScan;
import dev.mcpsandbox.sandbox.language.DetectedLanguage;
import dev.mcpsandbox.sandbox.language.Language;
import dev.mcpsandbox.sandbox.language.SyntaxProblem;
import dev.mcpsandbox.sandbox.limits.LimitKind;
import dev.mcpsandbox.sandbox.output.Harvest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@code validate_code}: the language's own checker in a sandbox of its own (parse only), plus the advisory
 * scan. A checker that was cut short or died silently proves nothing, and the report says so.
 */
final class CodeValidation {
    private static final Logger log = LoggerFactory.getLogger(CodeValidation.class);
    /** validate_code parses only; it gets tight limits of its own whatever the operator's defaults (the time is the language's). */
    private static final ResourceLimits CHECK_LIMITS = new ResourceLimits(15, 256, 16, 1 << 20, 1, 16, 0);
    /** A checker may write where a compiler would (javac -d, rustc metadata); nothing of it is read back. */
    private static final Harvest CHECK_SCRATCH = new Harvest(Language.BUILD_DIR, 0, 0, 0);

    private final Sandboxes sandboxes;
    private final ResourceLimits maxima;

    CodeValidation(Sandboxes sandboxes, ResourceLimits maxima) {
        this.sandboxes = sandboxes;
        this.maxima = maxima;
    }

    /** The sandbox the checker runs in: compiled languages' checkers are compilers and need what compilers need. */
    private SandboxSpec spec(String id, DetectedLanguage language, String entry) {
        List<String> command = language.language().checkCommand(language.binary(), entry);
        ResourceLimits checkLimits = CHECK_LIMITS.with(ResourceLimits.Key.TIMEOUT_SECONDS,
                Math.min(language.language().checkTimeoutSeconds(), maxima.timeoutSeconds()));
        return language.compiled()
                ? SandboxRun.spec(id, language, command, GoLine.LAUNCHER, Compilation.limits(checkLimits,
                        language.language().compilerNeeds(), maxima, checkLimits.timeoutSeconds()),
                        language.language().compilerNeeds().addressSpaceMb())
                : SandboxRun.spec(id, language, command, GoLine.LAUNCHER, checkLimits);
    }

    ValidationReport check(String id, DetectedLanguage language, String code)
            throws SandboxException, InterruptedException {
        List<AdvisoryScan.Finding> findings = AdvisoryScan.scan(language.id(), code);
        String entry = language.entryFile(code);
        SandboxSpec spec = spec(id, language, entry);
        SandboxRun.Raw raw = sandboxes.runFresh(spec, SandboxRun.Inputs.source(entry, code), CHECK_SCRATCH,
                SandboxRun.BridgeOpener.NONE, CallContext.detached());
        String guestEntry = "/workspace/" + entry;
        boolean quietSuccess = raw.exitCode().orElse(1) == 0
                && (language.id().equals("python") || raw.stderr().text().isBlank());
        List<SyntaxProblem> errors = language.language().syntaxProblems(raw.stdout().text(),
                quietSuccess ? "" : raw.stderr().text(), guestEntry);
        Optional<LimitKind> stopped = raw.stoppedFor();
        if (stopped.isPresent() && (errors.isEmpty() || stopped.get() != LimitKind.OUTPUT)) {
            // A checker that was cut short proves nothing either way; what it printed first says why.
            log.warn("{}: {} checker stopped ({}); it printed: {}", id, language.id(), stopped.get().wireName(),
                    firstLines(raw.stderr().text() + raw.stdout().text(), 20));
            String printed = firstLines(raw.stderr().text(), 3);
            return notChecked(findings, "the checker was stopped: " + stopped.get().explanation()
                    + (printed.isEmpty() ? "" : "; it printed: " + printed));
        }
        int exit = raw.exitCode().orElse(-1);
        if (exit != 0 && raw.stdout().text().isBlank() && raw.stderr().text().isBlank()) {
            // Killed without a word (RLIMIT_CPU, a signal): say how it ended, not "failed: " and nothing.
            log.warn("{}: {} checker ended with exit code {} and printed nothing", id, language.id(), exit);
            return notChecked(findings, "the checker ended with exit code " + exit
                    + (exit > 128 ? " (signal " + (exit - 128) + ")" : "") + " and printed nothing; the code was not checked");
        }
        // Diagnostics past the output cap are dropped; the first ones, which the cap keeps, matter most.
        return new ValidationReport(errors.isEmpty(), errors, findings);
    }

    private static ValidationReport notChecked(List<AdvisoryScan.Finding> findings, String why) {
        return new ValidationReport(false, List.of(new SyntaxProblem(Optional.empty(), Optional.empty(), why)), findings);
    }

    private static String firstLines(String text, int lines) {
        return text.strip().lines().limit(lines).map(l -> l.length() > 300 ? l.substring(0, 300) + "…" : l)
                .collect(Collectors.joining("\n"));
    }
}
