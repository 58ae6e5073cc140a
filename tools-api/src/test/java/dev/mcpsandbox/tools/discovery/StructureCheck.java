package dev.mcpsandbox.tools.discovery;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A structural check of TypeScript text for when no compiler is at hand: brackets, braces, parentheses
 * and angle brackets balance outside string literals and comments, every string and block comment is
 * closed. It proves much less than {@code tsc}, but catches the escaping mistakes a generator makes.
 */
final class StructureCheck {
    private StructureCheck() {
    }

    /** Null when the text is balanced, else what is wrong and where. */
    static String unbalanced(String ts) {
        Deque<Character> open = new ArrayDeque<>();
        int line = 1;
        for (int i = 0; i < ts.length(); i++) {
            char c = ts.charAt(i);
            if (c == '\n') {
                line++;
            } else if (c == '/' && i + 1 < ts.length() && ts.charAt(i + 1) == '/') {
                while (i < ts.length() && ts.charAt(i) != '\n') {
                    i++;
                }
                line++;
            } else if (c == '/' && i + 1 < ts.length() && ts.charAt(i + 1) == '*') {
                int end = ts.indexOf("*/", i + 2);
                if (end < 0) {
                    return "unclosed block comment at line " + line;
                }
                line += (int) ts.substring(i, end).chars().filter(ch -> ch == '\n').count();
                i = end + 1;
            } else if (c == '"' || c == '\'' || c == '`') {
                int j = i + 1;
                while (j < ts.length() && ts.charAt(j) != c) {
                    if (ts.charAt(j) == '\n' && c != '`') {
                        return "line break in a string literal at line " + line;
                    }
                    j += ts.charAt(j) == '\\' ? 2 : 1;
                }
                if (j >= ts.length()) {
                    return "unclosed string literal at line " + line;
                }
                i = j;
            } else if ("{[(<".indexOf(c) >= 0) {
                open.push(c);
            } else if ("}])>".indexOf(c) >= 0) {
                char expected = "{[(<".charAt("}])>".indexOf(c));
                if (open.isEmpty() || open.peek() != expected) {
                    return "unexpected '" + c + "' at line " + line;
                }
                open.pop();
            }
        }
        return open.isEmpty() ? null : "unclosed '" + open.peek() + "' at end";
    }
}
