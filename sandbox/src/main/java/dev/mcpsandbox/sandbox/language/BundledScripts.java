package dev.mcpsandbox.sandbox.language;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Scripts that languages install as guest files, kept as resources beside this package's classes. */
final class BundledScripts {
    private BundledScripts() {
    }

    /** The text of {@code relativePath} under this package's resource folder; missing means a broken jar. */
    static String text(String relativePath) {
        try (InputStream in = BundledScripts.class.getResourceAsStream(relativePath)) {
            if (in == null) {
                throw new IllegalStateException("bundled script " + relativePath + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read bundled script " + relativePath, e);
        }
    }
}
