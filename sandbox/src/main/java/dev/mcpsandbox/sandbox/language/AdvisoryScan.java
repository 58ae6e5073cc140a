package dev.mcpsandbox.sandbox.language;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Line-by-line hints for {@code validate_code} about things the sandbox will stop or limit.
 *
 * <p>This is information for the model, never a control: pattern lists are trivially bypassed, and the sandbox
 * enforces every limit whatever the scan says. So the probes aim to be useful and quiet rather than complete, and each
 * message says it is advisory.
 */
public final class AdvisoryScan {

    /** Absolute paths other than the writable /workspace and /tmp; /dev and /proc/self are ordinary plumbing. */
    private static final String OUTSIDE_WORKSPACE_PATH =
            "/(?!(?:workspace|tmp)(?![\\w.-])|dev/|proc/self/)[\\w.~-][^\\s\"'`;|&<>()]*";
    /** Sleep arguments under a second (0, 0.5, .25) are not worth a warning. */
    private static final String UNDER_A_SECOND = "(?:\\.[0-9]+|0+(?:\\.[0-9]*)?)";
    private static final String PYTHON_IMPORT = "^\\s*(?:import|from)\\s+(?:[\\w.]+\\s*,\\s*){0,10}";
    private static final String JAVASCRIPT_MODULE =
            "(?:\\brequire\\s*\\(\\s*|\\bimport\\s*\\(\\s*|\\bfrom\\s+|^\\s*import\\s+)['\"`](?:node:)?";
    /** Where a bash word is a command name: line start, after an operator, or after a keyword that runs a command. */
    private static final String BASH_COMMAND = "(?:^|[;&|(`{!]|\\b(?:then|do|else|sudo|exec|nohup|xargs|time)\\s)\\s*";
    private static final String BASH_WORD_END = "(?![\\w./-])";

    /** JavaScript's probes; TypeScript compiles to JavaScript and reaches the same modules. */
    private static final Language JAVASCRIPT = new Language(List.of("//", "/*", "*"), List.of(
            new Probe(Category.NETWORK, JAVASCRIPT_MODULE
                    + "(net|http|https|http2|dgram|tls|dns|axios|node-fetch|undici|ws)['\"`]", "loads %s"),
            new Probe(Category.NETWORK, "(?<![\\w.$])(fetch|XMLHttpRequest|WebSocket|EventSource)\\s*\\(", "calls %s"),
            new Probe(Category.SUBPROCESS, "\\b(child_process|cluster\\.fork|Bun\\.spawn(?:Sync)?"
                    + "|Deno\\.(?:Command|run))\\b", "uses %s"),
            new Probe(Category.ENVIRONMENT, "\\b(process\\.env|Deno\\.env)\\b", "uses %s"),
            new Probe(Category.DYNAMIC_CODE, "(?<![\\w.$])(eval)\\s*\\(", "calls %s()"),
            new Probe(Category.DYNAMIC_CODE, "\\bnew\\s+(Function)\\s*\\(", "calls new %s()"),
            new Probe(Category.DYNAMIC_CODE, JAVASCRIPT_MODULE + "(vm)['\"`]", "loads %s"),
            new Probe(Category.FILESYSTEM, "['\"`](" + OUTSIDE_WORKSPACE_PATH + ")", "refers to %s")));

    private static final Map<String, Language> LANGUAGES = Map.of(
            "python", new Language(List.of("#"), List.of(
                    new Probe(Category.NETWORK, PYTHON_IMPORT + "(socket|ssl|urllib[23]?|requests|httpx|aiohttp"
                            + "|http\\.client|http\\.server|ftplib|smtplib|telnetlib|websockets?|paramiko)\\b", "imports %s"),
                    new Probe(Category.NETWORK, "\\b(urlopen|socket\\.(?:socket|create_connection)"
                            + "|requests\\.(?:get|post|put|patch|delete|head|request))\\s*\\(", "calls %s"),
                    new Probe(Category.SUBPROCESS, PYTHON_IMPORT + "(subprocess|multiprocessing|pty)\\b", "imports %s"),
                    new Probe(Category.SUBPROCESS, "\\b(subprocess\\.\\w+|os\\.(?:system|popen|fork|forkpty|spawn\\w*"
                            + "|exec\\w*|posix_spawnp?))\\s*\\(", "calls %s"),
                    new Probe(Category.ENVIRONMENT, "\\b(os\\.environ|os\\.getenv|os\\.putenv)\\b", "uses %s"),
                    // The look-behind keeps model.eval(), re.compile() and ast.literal_eval() out.
                    new Probe(Category.DYNAMIC_CODE, "(?<![\\w.])(eval|exec|compile|__import__)\\s*\\(", "calls %s()"),
                    new Probe(Category.FILESYSTEM, "[\"'](" + OUTSIDE_WORKSPACE_PATH + ")", "refers to %s"),
                    new Probe(Category.LONG_SLEEP, "\\b((?:time\\.|asyncio\\.)?sleep)\\s*\\(\\s*(?!" + UNDER_A_SECOND
                            + "\\s*\\))", "calls %s"))),
            "javascript", JAVASCRIPT,
            "typescript", JAVASCRIPT,
            "java", new Language(List.of("//", "/*", "*"), List.of(
                    new Probe(Category.NETWORK, "\\b(java\\.net\\.\\w+|HttpClient|ServerSocket|Socket|URLConnection)\\b",
                            "uses %s"),
                    new Probe(Category.SUBPROCESS, "\\b(ProcessBuilder|Runtime\\.getRuntime\\(\\)\\.exec)", "uses %s"),
                    new Probe(Category.ENVIRONMENT, "\\b(System\\.getenv)\\b", "calls %s"),
                    new Probe(Category.DYNAMIC_CODE, "\\b(ToolProvider\\.getSystemJavaCompiler|ScriptEngineManager"
                            + "|URLClassLoader)\\b", "uses %s"),
                    new Probe(Category.FILESYSTEM, "\"(" + OUTSIDE_WORKSPACE_PATH + ")", "refers to %s"),
                    // milliseconds: under a second is not worth a warning
                    new Probe(Category.LONG_SLEEP, "\\b(Thread\\.sleep|TimeUnit\\.\\w+\\.sleep)\\s*\\((?!\\s*[0-9]{1,3}L?\\s*\\))",
                            "calls %s"))),
            "ruby", new Language(List.of("#"), List.of(
                    new Probe(Category.NETWORK, "^\\s*require\\s*\\(?\\s*['\"](socket|net/\\w+|open-uri|httparty|faraday)['\"]",
                            "requires %s"),
                    new Probe(Category.NETWORK, "\\b(Net::HTTP|TCPSocket|UDPSocket|URI\\.open)\\b", "uses %s"),
                    new Probe(Category.SUBPROCESS, "(?<![\\w.:])(system|spawn|fork|IO\\.popen|Open3\\.\\w+)\\b(?!\\s*[=:])",
                            "calls %s"),
                    new Probe(Category.SUBPROCESS, "(`|%x)", "runs a command with %s"),
                    new Probe(Category.ENVIRONMENT, "(?<![\\w:])(ENV)\\s*[\\[.]", "uses %s"),
                    new Probe(Category.DYNAMIC_CODE, "(?<![\\w.])(eval|instance_eval|class_eval)\\b", "calls %s"),
                    new Probe(Category.FILESYSTEM, "['\"](" + OUTSIDE_WORKSPACE_PATH + ")", "refers to %s"),
                    new Probe(Category.LONG_SLEEP, "(?<![\\w.])(sleep)[\\s(]+(?!" + UNDER_A_SECOND + "(?![\\w.]))(?=[0-9])",
                            "calls %s"))),
            "bash", new Language(List.of("#"), List.of(
                    new Probe(Category.NETWORK, BASH_COMMAND + "(curl|wget|nc|ncat|netcat|ssh|scp|sftp|telnet|ftp|ping"
                            + "|dig|nslookup)" + BASH_WORD_END, "runs %s"),
                    new Probe(Category.NETWORK, "(/dev/(?:tcp|udp)/)", "uses %s"),
                    // Package installs and git remotes are the usual way a script reaches the network unawares.
                    new Probe(Category.NETWORK, BASH_COMMAND + "((?:pip3?|python3?\\s+-m\\s+pip|npm|pnpm|yarn|gem|cargo"
                            + "|apt-get|apt|apk)\\s+(?:install|add)|git\\s+(?:clone|fetch|pull|push))" + BASH_WORD_END,
                            "runs %s"),
                    // A lone & backgrounds; &&, &>, >&2, 2>&1 and |& are other operators.
                    new Probe(Category.SUBPROCESS, "(?<![&|<>])(&)(?![&>|])", "backgrounds a command with %s"),
                    new Probe(Category.SUBPROCESS, BASH_COMMAND + "(nohup|setsid|coproc|parallel|xargs\\s+-P)"
                            + BASH_WORD_END, "runs %s"),
                    // env with arguments usually sets variables for a command; only a bare env lists them.
                    new Probe(Category.ENVIRONMENT, BASH_COMMAND + "(printenv" + BASH_WORD_END
                            + "|env(?=[ \\t]*(?:$|[|;&>)`])))", "runs %s"),
                    new Probe(Category.DYNAMIC_CODE, BASH_COMMAND + "(eval)" + BASH_WORD_END, "runs %s"),
                    new Probe(Category.FILESYSTEM, "(?:[0-9]?>>?|&>>?)[ \\t]*(" + OUTSIDE_WORKSPACE_PATH + ")",
                            "redirects into %s"),
                    new Probe(Category.FILESYSTEM, BASH_COMMAND + "(?:sudo\\s+)?(?:tee|touch|mkdir|rm|rmdir|mv|cp|ln"
                            + "|chmod|chown|dd)\\s[^;&|]*?(?<![\\w/.-])(" + OUTSIDE_WORKSPACE_PATH + ")", "touches %s"),
                    new Probe(Category.LONG_SLEEP, BASH_COMMAND + "(sleep)[ \\t]+(?!" + UNDER_A_SECOND + "(?![\\w.]))",
                            "runs %s"))));

    private AdvisoryScan() {}

    /** Findings in line order; empty for languages without probes. */
    public static List<Finding> scan(String languageId, String code) {
        Objects.requireNonNull(languageId, "languageId");
        Objects.requireNonNull(code, "code");
        Language language = LANGUAGES.get(languageId.strip().toLowerCase(Locale.ROOT));
        if (language == null) {
            return List.of();
        }
        List<Finding> findings = new ArrayList<>();
        List<String> lines = code.lines().toList();
        for (int index = 0; index < lines.size(); index++) {
            String line = lines.get(index);
            if (!language.isCommentOnly(line)) {
                scanLine(language, line, index + 1, findings);
            }
        }
        return List.copyOf(findings);
    }

    private static void scanLine(Language language, String line, int lineNumber, List<Finding> findings) {
        Set<Category> reported = EnumSet.noneOf(Category.class);
        for (Probe probe : language.probes()) {
            if (reported.contains(probe.category())) {
                continue;
            }
            Matcher matcher = probe.pattern().matcher(line);
            if (matcher.find()) {
                reported.add(probe.category());
                String seen = String.format(Locale.ROOT, probe.seenTemplate(), matcher.group(1));
                findings.add(new Finding(probe.category().id, String.format(Locale.ROOT, "line %d: %s — %s (advisory)",
                        lineNumber, seen, probe.category().consequence), lineNumber));
            }
        }
    }

    /** One hint: {@code category} is one of the fixed ids below, {@code line} is 1-based. */
    public record Finding(String category, String message, int line) {
        public Finding {
            Objects.requireNonNull(category, "category");
            Objects.requireNonNull(message, "message");
        }
    }

    private enum Category {
        NETWORK("network", "opens a network connection; the sandbox has no network, so this will fail"),
        SUBPROCESS("subprocess", "starts other processes; allowed, but they count against the process limit"),
        FILESYSTEM("filesystem_outside_workspace",
                "touches paths outside the work directory; only /workspace and /tmp are writable"),
        ENVIRONMENT("environment", "reads environment variables; the sandbox passes only PATH, HOME, LANG and TMPDIR"),
        DYNAMIC_CODE("dynamic_code", "evaluates code built at run time"),
        LONG_SLEEP("long_sleep", "sleeps; the run is killed at its timeout");

        private final String id;
        private final String consequence;

        Category(String id, String consequence) {
            this.id = id;
            this.consequence = consequence;
        }
    }

    /** {@code seenTemplate} gets the pattern's first group, which names what was seen. */
    private record Probe(Category category, Pattern pattern, String seenTemplate) {
        Probe(Category category, String regex, String seenTemplate) {
            this(category, Pattern.compile(regex), seenTemplate);
        }
    }

    private record Language(List<String> commentPrefixes, List<Probe> probes) {
        boolean isCommentOnly(String line) {
            String code = line.strip();
            return commentPrefixes.stream().anyMatch(code::startsWith);
        }
    }
}
