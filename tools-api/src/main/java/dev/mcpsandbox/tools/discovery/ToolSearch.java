package dev.mcpsandbox.tools.discovery;

import dev.mcpsandbox.tools.ToolName;
import dev.mcpsandbox.tools.registry.ToolDescriptor;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Finds the tools that fit a few words, so a model can discover what it may call without loading every
 * schema. Plain lexical ranking, no index: tool lists are small (hundreds at most) and a search has to
 * be predictable.
 *
 * <p>Words are compared case-insensitively after splitting camelCase, snake_case, kebab-case and dotted
 * names ({@code getSum}, {@code get_sum}, {@code get-sum} and {@code everything.get-sum} all hold the
 * words {@code get} and {@code sum}). For every query word a tool scores in each field it appears in:
 * name (server, tool, their identifier forms) {@value #NAME_EXACT} for a whole word, {@value #NAME_PREFIX}
 * for a word prefix ({@code su} → {@code sum}), {@value #NAME_INFIX} for a part of the run-together name
 * ({@code etsu} → {@code getsum}); title {@value #TITLE_EXACT}/{@value #TITLE_PREFIX}; description
 * {@value #DESCRIPTION_EXACT}/{@value #DESCRIPTION_PREFIX}. A query that spells the whole tool name gets
 * {@value #WHOLE_NAME} more. The sum is scaled by the share of query words that matched, so tools
 * matching more of the words come first. Common English filler words are ignored unless the query holds
 * nothing else.
 */
public final class ToolSearch {
    static final double NAME_EXACT = 10;
    static final double NAME_PREFIX = 7;
    static final double NAME_INFIX = 4;
    static final double TITLE_EXACT = 5;
    static final double TITLE_PREFIX = 3;
    static final double DESCRIPTION_EXACT = 2;
    static final double DESCRIPTION_PREFIX = 1;
    static final double WHOLE_NAME = 25;

    private static final Set<String> FILLER = Set.of(
            "a", "an", "the", "of", "to", "and", "or", "for", "in", "on", "with", "by", "is", "are", "be",
            "that", "this", "it", "me", "my", "i", "tool", "tools");

    private ToolSearch() {
    }

    /**
     * One search result.
     *
     * @param score relevance, higher is better; 0 for every tool when the query asks for all of them
     */
    public record Match(ToolDescriptor tool, double score) {
        public Match {
            Objects.requireNonNull(tool, "tool");
        }
    }

    /**
     * Ranks {@code tools} by how well they fit {@code query}: best first, ties by qualified name. Tools
     * that match no word are left out. A blank query (or {@code *}) lists every tool in name order.
     *
     * @param query free text; null counts as blank
     * @param limit the most results to return; zero or negative means no limit
     */
    public static List<Match> search(List<ToolDescriptor> tools, String query, int limit) {
        Objects.requireNonNull(tools, "tools");
        String q = query == null ? "" : query.strip();
        List<Match> matches = new ArrayList<>();
        if (q.isEmpty() || q.equals("*")) {
            for (ToolDescriptor tool : tools) {
                if (tool != null) {
                    matches.add(new Match(tool, 0));
                }
            }
        } else {
            List<String> words = queryWords(q);
            String compactQuery = compact(q);
            for (ToolDescriptor tool : tools) {
                if (tool == null) {
                    continue;
                }
                double score = score(new Fields(tool), words, compactQuery);
                if (score > 0) {
                    matches.add(new Match(tool, score));
                }
            }
        }
        matches.sort(Comparator.comparingDouble(Match::score).reversed()
                .thenComparing(m -> m.tool().name().qualified()));
        return limit > 0 && matches.size() > limit ? List.copyOf(matches.subList(0, limit)) : List.copyOf(matches);
    }

    private static double score(Fields f, List<String> words, String compactQuery) {
        if (words.isEmpty() && compactQuery.isEmpty()) {
            return 0;
        }
        double total = 0;
        int matched = 0;
        for (String w : words) {
            double s = fieldScore(f.name, w, NAME_EXACT, NAME_PREFIX);
            if (s == 0 && w.length() >= 3 && (f.compactTool.contains(w) || f.compactQualified.contains(w))) {
                s = NAME_INFIX;
            }
            s += fieldScore(f.title, w, TITLE_EXACT, TITLE_PREFIX);
            s += fieldScore(f.description, w, DESCRIPTION_EXACT, DESCRIPTION_PREFIX);
            if (s > 0) {
                matched++;
                total += s;
            }
        }
        if (!compactQuery.isEmpty()
                && (compactQuery.equals(f.compactTool) || compactQuery.equals(f.compactQualified))) {
            total += WHOLE_NAME;
            matched = Math.max(matched, 1);
        }
        if (total == 0) {
            return 0;
        }
        double coverage = words.isEmpty() ? 1 : Math.min(1.0, (double) matched / words.size());
        return total * coverage;
    }

    private static double fieldScore(Set<String> field, String word, double exact, double prefix) {
        if (field.contains(word)) {
            return exact;
        }
        if (word.length() >= 2) {
            for (String token : field) {
                if (token.startsWith(word)) {
                    return prefix;
                }
            }
        }
        return 0;
    }

    private static List<String> queryWords(String query) {
        Set<String> all = new LinkedHashSet<>(words(query));
        List<String> meaningful = new ArrayList<>();
        for (String w : all) {
            if (!FILLER.contains(w)) {
                meaningful.add(w);
            }
        }
        return meaningful.isEmpty() ? new ArrayList<>(all) : meaningful;
    }

    /**
     * Lower-case words of a text: split at anything that is not a letter or digit and at camelCase
     * boundaries ({@code getHTTPStatus} → {@code get}, {@code http}, {@code status}).
     */
    static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        if (text == null) {
            return out;
        }
        StringBuilder current = new StringBuilder();
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (!Character.isLetterOrDigit(c)) {
                flush(current, out);
                continue;
            }
            if (current.length() > 0 && Character.isUpperCase(c)) {
                char prev = text.charAt(i - 1);
                boolean lowerBefore = Character.isLowerCase(prev) || Character.isDigit(prev);
                boolean acronymEnd = Character.isUpperCase(prev) && i + 1 < n && Character.isLowerCase(text.charAt(i + 1));
                if (lowerBefore || acronymEnd) {
                    flush(current, out);
                }
            }
            current.append(c);
        }
        flush(current, out);
        return out;
    }

    private static void flush(StringBuilder current, List<String> out) {
        if (current.length() > 0) {
            out.add(current.toString().toLowerCase(Locale.ROOT));
            current.setLength(0);
        }
    }

    /** Letters and digits only, lower case: {@code Everything.get-Sum} → {@code everythinggetsum}. */
    static String compact(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isLetterOrDigit(c)) {
                b.append(c);
            }
        }
        return b.toString().toLowerCase(Locale.ROOT);
    }

    /** The searchable text of one tool, split into words. */
    private static final class Fields {
        final Set<String> name = new LinkedHashSet<>();
        final Set<String> title = new LinkedHashSet<>();
        final Set<String> description = new LinkedHashSet<>();
        final String compactTool;
        final String compactQualified;

        Fields(ToolDescriptor tool) {
            ToolName n = tool.name();
            name.addAll(words(n.server()));
            name.addAll(words(n.tool()));
            name.addAll(words(ToolName.identifier(n.server())));
            name.addAll(words(ToolName.identifier(n.tool())));
            name.add(compact(n.tool()));
            title.addAll(words(SourceText.truncate(tool.title(), SourceText.MAX_SHORT)));
            description.addAll(words(SourceText.truncate(tool.description(), 4 * SourceText.MAX_DESCRIPTION)));
            compactTool = compact(n.tool());
            compactQualified = compact(n.qualified());
        }
    }
}
