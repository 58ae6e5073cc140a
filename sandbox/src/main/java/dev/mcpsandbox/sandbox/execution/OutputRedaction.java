package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.sandbox.output.CapturedOutput;
import dev.mcpsandbox.sandbox.output.Harvest;
import dev.mcpsandbox.sandbox.output.ProducedFile;
import dev.mcpsandbox.sandbox.output.SecretRedactor;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Removes secrets from what leaves a sandbox (stdout, stderr, text files under {@code out/}) when the operator
 * asked for it, remembering which kinds it removed. One instance per run; pictures and binaries pass untouched.
 */
final class OutputRedaction {
    private final Optional<SecretRedactor> redactor;
    private final Set<String> kinds = new LinkedHashSet<>();

    OutputRedaction(Optional<SecretRedactor> redactor) {
        this.redactor = redactor;
    }

    CapturedOutput apply(CapturedOutput output) {
        if (redactor.isEmpty() || output.text().isEmpty()) {
            return output;
        }
        SecretRedactor.Redacted r = redactor.get().redact(output.text());
        kinds.addAll(r.kinds());
        return r.changed() ? output.withText(r.text()) : output;
    }

    Harvest.Result apply(Harvest.Result produced) {
        if (redactor.isEmpty() || produced.files().isEmpty()) {
            return produced;
        }
        List<ProducedFile> files = new ArrayList<>();
        for (ProducedFile f : produced.files()) {
            if (f.content().isPresent() && f.isText() && !f.isImage()) {
                SecretRedactor.Redacted r = redactor.get().redact(new String(f.content().get(), StandardCharsets.UTF_8));
                kinds.addAll(r.kinds());
                if (r.changed()) {
                    byte[] text = r.text().getBytes(StandardCharsets.UTF_8);
                    f = new ProducedFile(f.path(), f.mimeType(), text.length, f.executable(), Optional.of(text));
                }
            }
            files.add(f);
        }
        return new Harvest.Result(files, produced.omitted());
    }

    /** The kinds of secrets removed so far, each once, in the order first seen. */
    List<String> kinds() {
        return List.copyOf(kinds);
    }
}
