package dev.mcpsandbox.sandbox.output;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces credentials in sandbox output with {@code [REDACTED:<kind>]} before the output goes back to the model.
 *
 * <p>Model-written code can print whatever it reads or is handed, and the output ends up in a transcript; this is a
 * last line of defence so a leaked key is not repeated there. It is pattern based, so it is best effort by nature.
 *
 * <p>Every rule is matched against the original text and the spans are then spliced in one pass. Where two rules claim
 * overlapping text the rule listed first wins, which is why specific kinds (a GitHub token) come before generic ones
 * (a {@code token=...} assignment). No pattern nests a quantifier over overlapping character classes, and every
 * repetition that can end without a delimiter is bounded, so matching stays linear on large outputs.
 */
public final class SecretRedactor {

    /** Every rule names the part to replace with this group, so labels and schemes around it survive. */
    private static final String SECRET = "secret";

    private static final List<Rule> STANDARD_RULES = List.of(
            // A truncated output may end inside the key, so a block with no END line is redacted to the end.
            new Rule("private_key", List.of("-----begin "),
                    "(?<secret>-----BEGIN (?<type>(?:[A-Z0-9]+ ){0,3})PRIVATE KEY(?<block>(?: BLOCK)?)-----"
                            + "[\\s\\S]*?(?:-----END \\k<type>PRIVATE KEY\\k<block>-----|\\z))"),
            new Rule("aws_access_key", List.of("akia", "asia"),
                    "(?<![A-Za-z0-9])(?<secret>(?:AKIA|ASIA)[A-Z0-9]{16})(?![A-Za-z0-9])"),
            // A bare 40-character base64 string is far too common (hashes, blobs) to redact without its label.
            new Rule("aws_secret_key", List.of("secret"),
                    "(?i:aws_?secret_?(?:access_?)?key|secret_?access_?key)[\"']?[ \\t]*[:=][ \\t]*[\"']?"
                            + "(?<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"),
            new Rule("github_token", List.of("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
                    "(?<![A-Za-z0-9_])(?<secret>gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})"
                            + "(?![A-Za-z0-9_])"),
            new Rule("slack_token", List.of("xox"), "(?<![A-Za-z0-9])(?<secret>xox[baprs]-[A-Za-z0-9-]{10,250})"),
            // Before openai_key: both start with "sk-", and sk-ant- keys must be reported as Anthropic ones.
            new Rule("anthropic_key", List.of("sk-ant-"), "(?<![A-Za-z0-9_-])(?<secret>sk-ant-[A-Za-z0-9_-]{20,})"),
            new Rule("openai_key", List.of("sk-"), "(?<![A-Za-z0-9_-])(?<secret>sk-(?!ant-)[A-Za-z0-9_-]{20,})"),
            new Rule("google_api_key", List.of("aiza"),
                    "(?<![A-Za-z0-9_-])(?<secret>AIza[A-Za-z0-9_-]{35})(?![A-Za-z0-9_-])"),
            // Test-mode secret keys still grant API access to the account, so they are redacted as well.
            new Rule("stripe_key", List.of("k_live_", "k_test_"),
                    "(?<![A-Za-z0-9_])(?<secret>[sr]k_(?:live|test)_[A-Za-z0-9]{24,})"),
            // Before bearer_token, so "Bearer eyJ..." is reported as the more telling kind.
            new Rule("jwt", List.of("eyj"),
                    "(?<![A-Za-z0-9_-])(?<secret>eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,})"),
            new Rule("bearer_token", List.of("bearer"),
                    "(?<![A-Za-z0-9_])(?:Bearer|bearer|BEARER)[ \\t]+(?<secret>[A-Za-z0-9._~+/=-]{16,})"),
            // The label may carry a prefix (DB_PASSWORD, x-api-key) but must not be part of a path such as /etc/passwd.
            new Rule("password_assignment", List.of("pass", "secret", "token", "apikey", "api_key", "api-key",
                            "accesskey", "access_key", "access-key", "privatekey", "private_key", "private-key"),
                    "(?<![A-Za-z0-9_./\\\\-])(?i:[A-Za-z0-9_.-]{0,32}?"
                            + "(?:password|passphrase|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key))"
                            + "[\"']?[ \\t]*[:=][ \\t]*[\"']?(?<secret>[^\\s\"'`]{8,})"),
            // Real card numbers start with 2-6; leaving out 1 keeps epoch timestamps (ms, ns) from being redacted.
            // Grouped numbers must look like printed cards (4-4-4-4, 4-6-5) so tables of small numbers are left alone.
            // The boundary check sits after the first digit so the scan can skip non-digits cheaply; a '.' or ','
            // before the digits marks a decimal fraction (0.4111111111111111), not a card.
            new Rule("card_number", List.of(), "(?<secret>[2-6](?<![A-Za-z0-9.,].)(?:[0-9]{12,18}"
                    + "|[0-9]{3}(?<sep>[ -])[0-9]{4,6}(?:\\k<sep>[0-9]{3,5}){1,3}))(?![A-Za-z0-9]|[.,][0-9])",
                    SecretRedactor::isLuhnValidCardNumber));

    private static final SecretRedactor STANDARD = new SecretRedactor(STANDARD_RULES);

    private final List<Rule> rules;

    private SecretRedactor(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** The built-in rules; the instance is immutable and safe to share between threads. */
    public static SecretRedactor standard() {
        return STANDARD;
    }

    public Redacted redact(String text) {
        Objects.requireNonNull(text, "text");
        String lowerCaseText = text.toLowerCase(Locale.ROOT);
        TreeMap<Integer, Span> claimedByStart = new TreeMap<>();
        for (Rule rule : rules) {
            if (rule.mayMatch(lowerCaseText)) {
                claimMatches(rule, text, claimedByStart);
            }
        }
        if (claimedByStart.isEmpty()) {
            return new Redacted(text, List.of());
        }
        StringBuilder redacted = new StringBuilder(text.length());
        LinkedHashSet<String> kindsInTextOrder = new LinkedHashSet<>();
        int copiedUpTo = 0;
        for (Span span : claimedByStart.values()) {
            redacted.append(text, copiedUpTo, span.start()).append("[REDACTED:").append(span.kind()).append(']');
            copiedUpTo = span.end();
            kindsInTextOrder.add(span.kind());
        }
        redacted.append(text, copiedUpTo, text.length());
        return new Redacted(redacted.toString(), List.copyOf(kindsInTextOrder));
    }

    private static void claimMatches(Rule rule, String text, TreeMap<Integer, Span> claimedByStart) {
        Matcher matcher = rule.pattern().matcher(text);
        int searchFrom = 0;
        while (searchFrom < text.length() && matcher.find(searchFrom)) {
            int start = matcher.start(SECRET);
            int end = matcher.end(SECRET);
            boolean claimed = rule.accepts().test(matcher.group(SECRET)) && isUnclaimed(claimedByStart, start, end);
            if (claimed) {
                claimedByStart.put(start, new Span(start, end, rule.kind()));
            }
            // A rejected match may hide a valid one starting inside it (e.g. a shorter card number), so step by one.
            searchFrom = claimed ? Math.max(matcher.end(), matcher.start() + 1) : matcher.start() + 1;
        }
    }

    private static boolean isUnclaimed(TreeMap<Integer, Span> claimedByStart, int start, int end) {
        // Claimed spans never overlap, so the last one starting before `end` is the only one that could reach `start`.
        Map.Entry<Integer, Span> nearest = claimedByStart.lowerEntry(end);
        return nearest == null || nearest.getValue().end() <= start;
    }

    private static boolean isLuhnValidCardNumber(String candidate) {
        int sum = 0;
        int digitCount = 0;
        for (int i = candidate.length() - 1; i >= 0; i--) {
            char c = candidate.charAt(i);
            if (c < '0' || c > '9') {
                continue; // separators
            }
            int digit = c - '0';
            if (digitCount % 2 == 1) {
                digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
            }
            sum += digit;
            digitCount++;
        }
        return digitCount >= 13 && digitCount <= 19 && sum % 10 == 0;
    }

    /**
     * The output with secrets replaced, and the distinct kinds replaced in order of first appearance in the text.
     */
    public record Redacted(String text, List<String> kinds) {
        public Redacted {
            Objects.requireNonNull(text, "text");
            kinds = List.copyOf(kinds);
        }

        public boolean changed() {
            return !kinds.isEmpty();
        }
    }

    /**
     * One kind of secret. {@code anchors} are lower-case strings of which any match must contain one; checking them
     * with a plain substring search first lets most outputs skip most regexes. Empty means "always scan".
     * {@code accepts} vets the matched secret where a regex cannot (the Luhn check).
     */
    private record Rule(String kind, List<String> anchors, Pattern pattern, Predicate<String> accepts) {
        Rule(String kind, List<String> anchors, String regex) {
            this(kind, anchors, Pattern.compile(regex), secret -> true);
        }

        Rule(String kind, List<String> anchors, String regex, Predicate<String> accepts) {
            this(kind, List.copyOf(anchors), Pattern.compile(regex), accepts);
        }

        boolean mayMatch(String lowerCaseText) {
            return anchors.isEmpty() || anchors.stream().anyMatch(lowerCaseText::contains);
        }
    }

    private record Span(int start, int end, String kind) {}
}
