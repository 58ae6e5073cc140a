package dev.mcpsandbox.sandbox.language;

import java.util.regex.Pattern;

/**
 * Compiler diagnostics of the form {@code FILE:LINE:COLUMN: message}, as gcc, g++ and go print them. The
 * compilers name the user's file as it was given on their command line ({@code main.c}, {@code ./main.go});
 * callers pass the guest path ({@code /workspace/main.c}), so both spellings are accepted.
 */
final class CompilerDiagnostics {
    private CompilerDiagnostics() {
    }

    /** The file name without its directory: {@code /workspace/main.c} → {@code main.c}. */
    static String fileName(String entryFile) {
        return entryFile.substring(entryFile.lastIndexOf('/') + 1);
    }

    /** A pattern for the user's file as a compiler or runtime names it, with an optional directory prefix. */
    static String filePattern(String entryFile) {
        return "(?:\\./|/workspace/)?" + Pattern.quote(fileName(entryFile));
    }

    /**
     * Lines {@code FILE:LINE:COLUMN: rest} for the user's file; group 1 is the line, group 2 the column (may be
     * absent), group 3 the rest.
     */
    static Pattern located(String entryFile) {
        return Pattern.compile("^" + filePattern(entryFile) + ":(\\d+)(?::(\\d+))?: (.*)$", Pattern.MULTILINE);
    }
}
