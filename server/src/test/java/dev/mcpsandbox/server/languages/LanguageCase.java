package dev.mcpsandbox.server.languages;

import java.util.Optional;

/**
 * The programs one language must run the same way as every other, through a real MCP client. A family of
 * languages lists its cases in a {@code *Cases} class; {@link LanguageSuiteIT} runs each behaviour for each case.
 *
 * @param language         the id passed to execute_code
 * @param hello            prints exactly {@code hello from <language>} and a newline, exits 0
 * @param echoStdin        reads one line from stdin and prints it upper-cased (input {@code quiet words} →
 *                         {@code QUIET WORDS})
 * @param runtimeError     compiles (if compiled) but fails at run time on line {@code runtimeErrorLine}
 *                         (an uncaught exception, a panic, a failing command), exiting non-zero
 * @param syntaxError      does not parse (or compile) because of line {@code syntaxErrorLine}
 * @param spins            never ends on its own (a busy loop), to be stopped by the time limit
 * @param callsToolCommand runs the code-mode {@code tool} command as
 *                         {@code tool everything.echo '{"message":"from <language>"}'} and prints its stdout;
 *                         empty for languages that cannot start a process (SQL, diagrams)
 */
public record LanguageCase(String language, String hello, String echoStdin, String runtimeError, int runtimeErrorLine,
                           String syntaxError, int syntaxErrorLine, String spins, Optional<String> callsToolCommand) {
}
