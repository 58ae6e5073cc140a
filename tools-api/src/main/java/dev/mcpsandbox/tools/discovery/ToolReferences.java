package dev.mcpsandbox.tools.discovery;

import dev.mcpsandbox.tools.ToolName;
import dev.mcpsandbox.tools.registry.ToolDescriptor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the tools a program refers to, in the forms the guest libraries offer: {@code tools.server.tool}
 * (identifiers), {@code tools.call("server.tool")}, {@code tools["server"]["tool"]} and the
 * {@code tool server.tool} command. A static read: it answers "which tools does this code mention",
 * not "which will it call" (names built at run time are not seen).
 */
public final class ToolReferences {
    private static final Pattern ATTRIBUTE = Pattern.compile("\\btools\\.([A-Za-z_]\\w*)\\.([A-Za-z_]\\w*)");
    private static final Pattern CALL = Pattern.compile("\\btools\\.call\\(\\s*[\"']([^\"'\\s]+)[\"']");
    private static final Pattern INDEX = Pattern.compile("\\btools\\[\\s*[\"']([^\"']+)[\"']\\s*]\\[\\s*[\"']([^\"']+)[\"']\\s*]");
    private static final Pattern COMMAND = Pattern.compile("(?m)(?:^|[;&|(`$]\\s*|\\bthen\\s+|\\bdo\\s+)tool\\s+([A-Za-z0-9_-]+\\.[^\\s'\"]+)");
    private static final List<String> GUEST_MEMBERS = List.of("call", "result", "list");

    private ToolReferences() {
    }

    /** A tool the code mentions: its qualified name when known, as written otherwise. */
    public record Reference(String name, Optional<ToolDescriptor> tool, int line) {
    }

    /**
     * @param known every tool of every available server (not only the allowed ones), to map identifiers back
     */
    public static List<Reference> find(String languageId, String code, List<ToolDescriptor> known) {
        Map<String, Reference> found = new LinkedHashMap<>();
        boolean shell = !languageId.equals("python") && !languageId.equals("javascript");
        for (Matcher m = CALL.matcher(code); m.find(); ) {
            add(found, m.group(1), known, lineOf(code, m.start()));
        }
        for (Matcher m = INDEX.matcher(code); m.find(); ) {
            add(found, m.group(1) + "." + m.group(2), known, lineOf(code, m.start()));
        }
        for (Matcher m = ATTRIBUTE.matcher(code); m.find(); ) {
            if (GUEST_MEMBERS.contains(m.group(1))) {
                continue;
            }
            String written = m.group(1) + "." + m.group(2);
            Optional<ToolDescriptor> byIdentifier = known.stream()
                    .filter(t -> ToolName.identifier(t.name().server()).equals(m.group(1))
                            && ToolName.identifier(t.name().tool()).equals(m.group(2)))
                    .findFirst();
            String name = byIdentifier.map(t -> t.name().qualified()).orElse(written);
            found.putIfAbsent(name, new Reference(name, byIdentifier, lineOf(code, m.start())));
        }
        if (shell) {
            for (Matcher m = COMMAND.matcher(code); m.find(); ) {
                add(found, m.group(1), known, lineOf(code, m.start(1)));
            }
        }
        return new ArrayList<>(found.values());
    }

    private static void add(Map<String, Reference> found, String qualified, List<ToolDescriptor> known, int line) {
        Optional<ToolDescriptor> tool = known.stream().filter(t -> t.name().qualified().equals(qualified)).findFirst();
        found.putIfAbsent(qualified, new Reference(qualified, tool, line));
    }

    private static int lineOf(String code, int offset) {
        int line = 1;
        for (int i = 0; i < offset && i < code.length(); i++) {
            if (code.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }
}
