package dev.mcpsandbox.sandbox.language;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Small readers over diagnostic text that more than one language uses. */
final class ErrorText {
    private ErrorText() {
    }

    static Optional<Integer> lastLineNumber(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        Optional<Integer> found = Optional.empty();
        while (m.find()) {
            found = parse(m.group(1));
        }
        return found;
    }

    static Optional<Integer> firstLineNumber(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        return m.find() ? parse(m.group(1)) : Optional.empty();
    }

    static Optional<Integer> parse(String digits) {
        try {
            return Optional.of(Integer.parseInt(digits));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    static List<String> lines(String text) {
        return text.lines().toList();
    }
}
