package dev.mcpsandbox.sandbox.language;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Mermaid diagrams, drawn by mermaid-cli (npm {@code @mermaid-js/mermaid-cli}, run by Node) in Debian's
 * Chromium to {@code out/diagram.png} (or {@code .svg}), which comes back to the client as an image.
 *
 * <p>Chromium runs inside the same bubblewrap sandbox as any code, with {@code --no-sandbox}: its own sandbox
 * needs user namespaces, which ours denies (--disable-userns, seccomp refuses unshare), so ours is the
 * boundary. It needs what a browser needs: about 100 GB of address space to reserve (V8's cage and
 * PartitionAlloc's pools; with 64 GB it hangs at start), some 60-70 threads even in single-process mode, and
 * about 400 MB of memory, and files of 64 MB (a sparse shared-memory file), hence {@link #runNeeds()}. Puppeteer talks to it over a pipe, as no TCP socket can be
 * made in the sandbox, and it has no network. {@code validate_code} parses with Mermaid's own parser in Node,
 * without a browser.
 */
final class MermaidLanguage implements Language {
    static final String CLI = "/usr/local/lib/node_modules/@mermaid-js/mermaid-cli";
    static final String CHROMIUM = "/usr/lib/chromium/chromium";
    static final String RENDERER = "mermaid/render.mjs";
    static final String PUPPETEER_CONFIG = "mermaid/puppeteer.json";
    /** Reserved, not used: Chromium's V8 cage and PartitionAlloc pools; the cgroup caps real memory. */
    static final long BROWSER_ADDRESS_SPACE_MB = 128L * 1024;
    private static final Pattern ERROR = Pattern.compile("^(?:\\S*/)?([^/\\s:]+):(?:(\\d+):)? ([A-Za-z]\\w*): (.*)$",
            Pattern.MULTILINE);

    @Override
    public String id() {
        return "mermaid";
    }

    @Override
    public List<String> aliases() {
        return List.of("mmd");
    }

    @Override
    public String displayName() {
        return "Mermaid";
    }

    @Override
    public String extension() {
        return "mmd";
    }

    /** Node runs mermaid-cli; the cli's own launcher is a script, which detection refuses as a shim. */
    @Override
    public List<String> candidateBinaries() {
        return List.of("/usr/bin/node", "/usr/local/bin/node");
    }

    @Override
    public List<String> versionArguments() {
        // The package's own manifest: `cli.js --version` loads the whole renderer (~0.25 s of every start-up).
        return List.of("-p", "require(" + jsString(CLI + "/package.json") + ").version");
    }

    @Override
    public String parseVersion(String output) {
        return output.strip();
    }

    @Override
    public List<String> requiredFiles() {
        return List.of(CLI + "/src/index.js", CHROMIUM);
    }

    @Override
    public List<String> runCommand(String binary, String entryFile, RunOptions options) {
        return List.of(binary, "/opt/mcp-sandbox/" + RENDERER, entryFile, options.imageFormat());
    }

    @Override
    public List<String> checkCommand(String binary, String entryFile) {
        return List.of(binary, "/opt/mcp-sandbox/" + RENDERER, "--check", entryFile);
    }

    /**
     * Mermaid's parser is some 1,240 small modules (mermaid 11.17 and its dependencies): a check takes about 1 s on
     * bubblewrap but 4-5 s under gVisor's ptrace platform, and took 12-16 s there while a loader hook throttled the
     * reads, which ran into the usual 15 s (as CPU time, with two threads busy).
     */
    @Override
    public int checkTimeoutSeconds() {
        return 60;
    }

    @Override
    public Optional<RunNeeds> runNeeds() {
        return Optional.of(new RunNeeds(1024, 128, 128));
    }

    @Override
    public long addressSpaceMb(long memoryMb) {
        return memoryMb + BROWSER_ADDRESS_SPACE_MB;
    }

    @Override
    public Map<String, String> guestFiles() {
        return Map.of(RENDERER, BundledScripts.text(RENDERER), PUPPETEER_CONFIG, BundledScripts.text(PUPPETEER_CONFIG));
    }

    /** The renderer's last word: {@code main.mmd:LINE: Type: message} (no line when the browser itself failed). */
    @Override
    public Optional<CodeError> runtimeError(String stderr, String entryFile) {
        String name = entryFile.substring(entryFile.lastIndexOf('/') + 1);
        Matcher m = ERROR.matcher(stderr);
        Optional<CodeError> last = Optional.empty();
        while (m.find()) {
            if (m.group(1).equals(name)) {
                last = Optional.of(new CodeError(m.group(3), m.group(4),
                        m.group(2) == null ? Optional.empty() : ErrorText.parse(m.group(2))));
            }
        }
        return last;
    }

    @Override
    public List<SyntaxProblem> syntaxProblems(String stdout, String stderr, String entryFile) {
        return ProblemList.parse(stdout, stderr);
    }

    @Override
    public boolean reportsOutOfMemory(String stderr) {
        return stderr.contains("JavaScript heap out of memory") || stderr.contains("Allocation failed");
    }

    private static String jsString(String text) {
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
