package dev.mcpsandbox.sandbox.language;

import dev.mcpsandbox.sandbox.backend.GoLine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ruby (CRuby 3.x). An uncaught exception reads {@code main.rb:3:in `foo': message (RuntimeError)}
 * followed by {@code \tfrom main.rb:5:in `<main>'} frames; a syntax error {@code main.rb:4: syntax error, ...}.
 */
final class RubyLanguage implements Language {
    /** {@code file:line:in `method': message (Class)}; the message may be empty. */
    private static final Pattern EXCEPTION = Pattern.compile("^(.+?):(\\d+):in [`'][^']*': (?:(.*) )?\\(([A-Z][\\w:]*)\\)$");
    private static final Pattern LOCATED = Pattern.compile("^(.+?):(\\d+): (.*)$");

    @Override
    public String id() {
        return "ruby";
    }

    @Override
    public List<String> aliases() {
        return List.of("rb");
    }

    @Override
    public String displayName() {
        return "Ruby";
    }

    @Override
    public String extension() {
        return "rb";
    }

    @Override
    public List<String> candidateBinaries() {
        return List.of("/usr/bin/ruby", "/usr/local/bin/ruby");
    }

    @Override
    public List<String> versionArguments() {
        return List.of("--version");
    }

    /** {@code ruby 3.1.2p20 (2022-04-12 revision 4491bb740a) [x86_64-linux-gnu]} → {@code 3.1.2p20}. */
    @Override
    public String parseVersion(String output) {
        String[] words = output.strip().split("\\s+");
        return words.length > 1 && words[0].equals("ruby") ? words[1] : output.strip();
    }

    /**
     * The interpreter starts first and waits for its go line (rubygems, did_you_mean and error_highlight are
     * loaded by then, ~50 ms), so a pre-started sandbox has Ruby ready. The go line carries the run's rlimits
     * (the launcher's five fields, in ulimit's units; see BwrapArguments), applied before any user code; then
     * the user's file is loaded as the top-level script ({@code $0 == __FILE__} holds). The bootstrap's own
     * frames are cut from the backtraces of ordinary errors (not of NoMemoryError: that would allocate); a
     * syntax error is printed as {@code ruby main.rb} would print it.
     * Unlike a script run directly, the file has no {@code DATA} after {@code __END__}.
     */
    static final String BOOTSTRAP = """
            go = +''
            until go.end_with?("\n")
              begin
                go << $stdin.sysread(1)
              rescue EOFError
                exit!(125)
              end
            end
            t, f, n, v, p = go.split
            [[:CORE, 0], [:CPU, t.to_i], [:FSIZE, f.to_i * 512], [:NOFILE, n.to_i], [:AS, v.to_i * 1024]].each do |kind, value|
              Process.setrlimit(kind, value, value)
            end
            Process.setrlimit(:NPROC, p.to_i, p.to_i) unless p == '-'
            $0 = File.expand_path(ARGV.shift)
            begin
              load $0
            rescue SyntaxError => e
              $stderr.puts e.message
              exit! 1
            rescue StandardError, ScriptError => e
              e.set_backtrace(e.backtrace.reject { |l| l.start_with?('-e:') }) if e.backtrace
              raise
            end
            """;

    @Override
    public GoLine goLine() {
        return GoLine.RUNTIME;
    }

    @Override
    public List<String> runCommand(String binary, String entryFile, RunOptions options) {
        return List.of(binary, "-e", BOOTSTRAP, entryFile);
    }

    /**
     * One top-level binding for the session: locals, methods and requires persist; the code's value is the
     * result; errors, {@code exit} and SIGINT end the call and keep the state (see the kernel's header).
     */
    @Override
    public Optional<SessionKernel> sessionKernel(String binary, String entryFile, RunOptions options) {
        return Optional.of(new SessionKernel(id(), List.of(binary, "/opt/mcp-sandbox/" + KERNEL), "/workspace/" + entryFile));
    }

    private static final String KERNEL = SessionKernel.GUEST_DIR + "ruby_kernel.rb";

    @Override
    public Map<String, String> guestFiles() {
        return Map.of(KERNEL, BundledScripts.text(KERNEL));
    }

    @Override
    public List<String> checkCommand(String binary, String entryFile) {
        return List.of(binary, "-c", entryFile);
    }

    private static boolean names(String file, String entryFile) {
        String name = entryFile.substring(entryFile.lastIndexOf('/') + 1);
        return file.equals(entryFile) || file.equals(name) || file.endsWith("/" + name);
    }

    /**
     * The last exception report: its class and message from the first line, its line from the first place in
     * the user's file (the raise itself, or the user's call into the library that raised). Further lines of
     * a message of several lines follow the first, up to the frames or a blank line (error_highlight's
     * snippet). A syntax error at run time is reported the same way as by {@code ruby -c}.
     */
    @Override
    public Optional<CodeError> runtimeError(String stderr, String entryFile) {
        List<String> lines = ErrorText.lines(stderr);
        int header = -1;
        Matcher m = null;
        for (int i = lines.size() - 1; i >= 0 && header < 0; i--) {
            Matcher candidate = EXCEPTION.matcher(lines.get(i));
            if (candidate.matches()) {
                header = i;
                m = candidate;
            }
        }
        if (m == null) {
            return syntaxProblems("", stderr, entryFile).stream().filter(p -> p.line().isPresent()).findFirst()
                    .map(p -> new CodeError("SyntaxError", p.message(), p.line()));
        }
        Optional<Integer> line = names(m.group(1), entryFile) ? ErrorText.parse(m.group(2)) : Optional.empty();
        StringBuilder message = new StringBuilder(m.group(3) == null ? "" : m.group(3));
        boolean inMessage = true;
        Pattern frame = Pattern.compile("^\\s+from (.+?):(\\d+):in .*$");
        for (int i = header + 1; i < lines.size(); i++) {
            String l = lines.get(i);
            Matcher f = frame.matcher(l);
            if (f.matches()) {
                inMessage = false;
                if (line.isEmpty() && names(f.group(1), entryFile)) {
                    line = ErrorText.parse(f.group(2));
                }
            } else if (l.isBlank()) {
                inMessage = false;
            } else if (inMessage) {
                message.append('\n').append(l);
            }
        }
        return Optional.of(new CodeError(m.group(4), message.toString().strip(), line));
    }

    /**
     * {@code main.rb:4: syntax error, unexpected end-of-input}, then (sometimes) the source line and a caret
     * under the column. Warnings ({@code main.rb:2: warning: ...}) are not problems.
     */
    @Override
    public List<SyntaxProblem> syntaxProblems(String stdout, String stderr, String entryFile) {
        List<SyntaxProblem> problems = new ArrayList<>();
        List<String> lines = ErrorText.lines(stderr);
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = LOCATED.matcher(lines.get(i));
            if (!m.matches() || !names(m.group(1), entryFile) || m.group(3).startsWith("warning:")) {
                continue;
            }
            Optional<Integer> column = Optional.empty();
            if (i + 2 < lines.size() && lines.get(i + 2).matches("^\\s*\\^~*\\s*$")) {
                column = Optional.of(lines.get(i + 2).indexOf('^') + 1);
            }
            problems.add(new SyntaxProblem(ErrorText.parse(m.group(2)), column, m.group(3)));
        }
        if (problems.isEmpty() && !stderr.isBlank() && !stderr.contains("warning:")) {
            problems.add(new SyntaxProblem(Optional.empty(), Optional.empty(), stderr.strip()));
        }
        return problems;
    }

    @Override
    public boolean reportsOutOfMemory(String stderr) {
        return stderr.contains("(NoMemoryError)") || stderr.contains("failed to allocate memory");
    }
}
