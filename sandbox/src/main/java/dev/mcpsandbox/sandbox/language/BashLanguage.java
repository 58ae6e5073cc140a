package dev.mcpsandbox.sandbox.language;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** GNU Bash. Errors carry the script line as {@code main.sh: line N: message}. */
final class BashLanguage implements Language {

    @Override
    public String id() {
        return "bash";
    }

    @Override
    public List<String> aliases() {
        return List.of("sh", "shell");
    }

    @Override
    public String displayName() {
        return "Bash";
    }

    @Override
    public String extension() {
        return "sh";
    }

    @Override
    public List<String> candidateBinaries() {
        return List.of("/usr/bin/bash", "/bin/bash");
    }

    @Override
    public List<String> versionArguments() {
        return List.of("-c", "echo $BASH_VERSION");
    }

    @Override
    public String parseVersion(String output) {
        return output.strip().replaceFirst("\\(.*$", "");
    }

    @Override
    public List<String> runCommand(String binary, String entryFile, RunOptions options) {
        return List.of(binary, entryFile);
    }

    /** One shell for the session: variables, functions and the working directory persist (see the kernel). */
    @Override
    public Optional<SessionKernel> sessionKernel(String binary, String entryFile, RunOptions options) {
        return Optional.of(new SessionKernel(id(), List.of(binary, "/opt/mcp-sandbox/" + KERNEL),
                "/workspace/" + entryFile));
    }

    private static final String KERNEL = SessionKernel.GUEST_DIR + "bash_kernel.sh";

    @Override
    public Map<String, String> guestFiles() {
        return Map.of(KERNEL, BundledScripts.text(KERNEL));
    }

    @Override
    public List<String> checkCommand(String binary, String entryFile) {
        return List.of(binary, "-n", entryFile);
    }

    private static Pattern located(String entryFile) {
        return Pattern.compile("^(?:" + Pattern.quote(entryFile) + "|" + Pattern.quote(fileName(entryFile))
                + "): line (\\d+): (.*)$", Pattern.MULTILINE);
    }

    private static String fileName(String entryFile) {
        return entryFile.substring(entryFile.lastIndexOf('/') + 1);
    }

    @Override
    public Optional<CodeError> runtimeError(String stderr, String entryFile) {
        Matcher m = located(entryFile).matcher(stderr);
        Optional<CodeError> last = Optional.empty();
        while (m.find()) {
            last = Optional.of(new CodeError("BashError", m.group(2), ErrorText.parse(m.group(1))));
        }
        return last;
    }

    @Override
    public List<SyntaxProblem> syntaxProblems(String stdout, String stderr, String entryFile) {
        List<SyntaxProblem> problems = new ArrayList<>();
        Matcher m = located(entryFile).matcher(stderr);
        while (m.find()) {
            if (m.group(2).startsWith("`")) {
                continue; // bash repeats the offending line after the message; the message is enough
            }
            problems.add(new SyntaxProblem(ErrorText.parse(m.group(1)), Optional.empty(), m.group(2)));
        }
        if (problems.isEmpty() && !stderr.isBlank()) {
            problems.add(new SyntaxProblem(Optional.empty(), Optional.empty(), stderr.strip()));
        }
        return problems;
    }
}
