package dev.mcpsandbox.sandbox.language;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Graphviz: the code is one graph in the DOT language, rendered by {@code dot} to {@code out/diagram.png}
 * (or {@code .svg} when the request asks for SVG), which comes back to the client as an image. On Debian
 * {@code /usr/bin/dot} links to one multi-call binary that picks its layout engine from the name it was
 * started by; detection resolves links, so the engine is always named ({@code -Kdot}). A graph can still
 * choose another engine with its own {@code layout=neato} attribute.
 */
final class GraphvizLanguage implements Language {
    /** The picture, relative to the work directory; everything under out/ comes back to the client. */
    static final String OUTPUT = "out/diagram.";
    private static final Pattern VERSION = Pattern.compile("graphviz version (\\S+)");
    private static final Pattern SYNTAX = Pattern.compile("^Error: (?:.*?): syntax error in line (\\d+)(.*)$",
            Pattern.MULTILINE);
    private static final Pattern ERROR = Pattern.compile("^Error: (.*)$", Pattern.MULTILINE);

    @Override
    public String id() {
        return "graphviz";
    }

    @Override
    public List<String> aliases() {
        return List.of("dot", "gv");
    }

    @Override
    public String displayName() {
        return "Graphviz (DOT)";
    }

    @Override
    public String extension() {
        return "dot";
    }

    @Override
    public List<String> candidateBinaries() {
        return List.of("/usr/bin/dot", "/usr/local/bin/dot");
    }

    @Override
    public List<String> versionArguments() {
        return List.of("-V");
    }

    @Override
    public String parseVersion(String output) {
        Matcher m = VERSION.matcher(output);
        return m.find() ? m.group(1) : output.strip();
    }

    @Override
    public List<String> runCommand(String binary, String entryFile, RunOptions options) {
        String format = options.imageFormat();
        return List.of(binary, "-Kdot", "-T" + format, "-o", OUTPUT + format, entryFile);
    }

    /** Parses (the canonical-form writer reads the whole graph) without drawing anything. */
    @Override
    public List<String> checkCommand(String binary, String entryFile) {
        return List.of(binary, "-Kdot", "-Tcanon", "-o", "/dev/null", entryFile);
    }

    /**
     * {@code Error: main.dot: syntax error in line 3 near '->'}; other errors (a layout that failed) carry
     * no line. Warnings ({@code Warning: blah is not a known color}) do not fail the run and are not errors.
     */
    @Override
    public Optional<CodeError> runtimeError(String stderr, String entryFile) {
        Matcher syntax = SYNTAX.matcher(stderr);
        if (syntax.find()) {
            return Optional.of(new CodeError("SyntaxError", "syntax error" + syntax.group(2), ErrorText.parse(syntax.group(1))));
        }
        Matcher error = ERROR.matcher(stderr);
        if (error.find()) {
            return Optional.of(new CodeError("GraphvizError", error.group(1).strip(), Optional.empty()));
        }
        return Optional.empty();
    }

    @Override
    public List<SyntaxProblem> syntaxProblems(String stdout, String stderr, String entryFile) {
        List<SyntaxProblem> problems = new ArrayList<>();
        Matcher syntax = SYNTAX.matcher(stderr);
        while (syntax.find()) {
            problems.add(new SyntaxProblem(ErrorText.parse(syntax.group(1)), Optional.empty(),
                    "syntax error" + syntax.group(2)));
        }
        if (problems.isEmpty()) {
            Matcher error = ERROR.matcher(stderr);
            while (error.find()) {
                problems.add(new SyntaxProblem(Optional.empty(), Optional.empty(), error.group(1).strip()));
            }
        }
        return problems;
    }
}
