package dev.mcpsandbox.sandbox.language;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Java, TypeScript and Ruby: naming the entry file, and reading compiler diagnostics and uncaught errors.
 * The fixtures are real output of javac/java 17.0.15, tsc 7.0.2 with Node.js 20.20.2 and ruby 3.1.2,
 * captured in the sandbox with the commands these classes build.
 */
class JvmAndScriptLanguagesTest {
    private final JavaLanguage java = new JavaLanguage();
    private final TypeScriptLanguage typescript = new TypeScriptLanguage();
    private final RubyLanguage ruby = new RubyLanguage();

    // ---- Java

    @Test
    void java_entryFileIsNamedAfterTheTopLevelPublicClass() {
        assertThat(java.entryFileName("import java.util.*;\n\npublic final class Greeter {\n}\n")).isEqualTo("Greeter.java");
        assertThat(java.entryFileName("public class Main {\n  public static class Node {}\n}\n")).isEqualTo("Main.java");
        assertThat(java.entryFileName("public record Point(int x) {\n}\n")).isEqualTo("Point.java");
    }

    @Test
    void java_entryFileIsMainWithoutAPublicClass() {
        assertThat(java.entryFileName("class Hello {\n  public static class Inner {}\n}\n")).isEqualTo("Main.java");
        assertThat(java.entryFileName("// public class Commented\nclass Main {}\n")).isEqualTo("Main.java");
    }

    @Test
    void java_runsTheMainClassTheCompileStepNamedFromTheBuildDirectory() {
        List<String> command = java.runCommand("/usr/lib/jvm/java-17-openjdk-amd64/bin/javac", "Greeter.java",
                RunOptions.withMemory(512));
        assertThat(command.get(0)).isEqualTo("/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
        assertThat(command).containsSubsequence("-cp", ".build", "@.build/main-class").contains("-Xmx384m");
        assertThat(command.get(command.size() - 1)).isEqualTo("@.build/main-class");
        assertThat(java.compileCommand("/jdk/bin/javac", "Greeter.java")).hasValueSatisfying(c ->
                assertThat(c).startsWith("/bin/sh", "-c").containsSubsequence("Greeter", "/jdk/bin/javac"));
    }

    @Test
    void java_heapLeavesRoomForTheJvmInSmallSandboxes() {
        assertThat(JavaLanguage.heapMb(512)).isEqualTo(384);
        assertThat(JavaLanguage.heapMb(128)).isEqualTo(32);
        assertThat(JavaLanguage.heapMb(64)).isEqualTo(16);
    }

    @Test
    void java_compilesIntoTheBuildDirectoryWithDebugInfo() {
        assertThat(java.compileCommand("/jdk/bin/javac", "Main.java")).hasValueSatisfying(c ->
                assertThat(c).containsSubsequence("/jdk/bin/javac", "-g", "-d", ".build", "Main.java"));
    }

    @Test
    void java_exceptionLineIsTheDeepestFrameInTheUsersFile() {
        String stderr = """
                Exception in thread "main" java.lang.IllegalStateException: boom at 3
                \tat Main.depth(Main.java:4)
                \tat Main.depth(Main.java:6)
                \tat Main.depth(Main.java:6)
                \tat Main.depth(Main.java:6)
                \tat Main.main(Main.java:11)
                """;
        assertThat(java.runtimeError(stderr, "/workspace/Main.java"))
                .contains(new CodeError("java.lang.IllegalStateException", "boom at 3", Optional.of(4)));
    }

    @Test
    void java_exceptionInTheLibraryTakesTheUsersCallingLine() {
        String stderr = """
                Exception in thread "main" java.lang.NumberFormatException: For input string: "12a"
                \tat java.base/java.lang.NumberFormatException.forInputString(NumberFormatException.java:67)
                \tat java.base/java.lang.Integer.parseInt(Integer.java:668)
                \tat java.base/java.lang.Integer.parseInt(Integer.java:786)
                \tat Main.main(Main.java:5)
                """;
        assertThat(java.runtimeError(stderr, "/workspace/Main.java"))
                .contains(new CodeError("java.lang.NumberFormatException", "For input string: \"12a\"", Optional.of(5)));
    }

    @Test
    void java_messageOfSeveralLinesAndItsCauseKeepTheOuterThrow() {
        String stderr = """
                Exception in thread "main" java.lang.RuntimeException: wrapped
                second line
                \tat Main.main(Main.java:6)
                Caused by: java.lang.NumberFormatException: For input string: "x"
                \tat java.base/java.lang.NumberFormatException.forInputString(NumberFormatException.java:67)
                \tat java.base/java.lang.Integer.parseInt(Integer.java:668)
                \tat java.base/java.lang.Integer.parseInt(Integer.java:786)
                \tat Main.main(Main.java:4)
                """;
        assertThat(java.runtimeError(stderr, "/workspace/Main.java"))
                .contains(new CodeError("java.lang.RuntimeException", "wrapped\nsecond line", Optional.of(6)));
    }

    @Test
    void java_exceptionInAnotherPublicClassFileUsesThatFile() {
        String stderr = """
                Exception in thread "main" java.lang.ClassCastException: class java.lang.String cannot be cast to class java.lang.Integer
                \tat Greeter.main(Greeter.java:7)
                """;
        assertThat(java.runtimeError(stderr, "/workspace/Greeter.java")).hasValueSatisfying(e ->
                assertThat(e.line()).contains(7));
    }

    @Test
    void java_outputWithoutAnUncaughtExceptionIsNoError() {
        assertThat(java.runtimeError("some log line\n", "/workspace/Main.java")).isEmpty();
    }

    @Test
    void java_compileErrorGivesLineColumnAndMessage() {
        String stderr = """
                Main.java:3: error: ';' expected
                        System.out.println("a")
                                               ^
                1 error
                """;
        assertThat(java.syntaxProblems("", stderr, "/workspace/Main.java"))
                .containsExactly(new SyntaxProblem(Optional.of(3), Optional.of(32), "';' expected"));
    }

    @Test
    void java_everyCompileErrorIsAProblemWithItsSymbolDetails() {
        String stderr = """
                Main.java:3: error: incompatible types: String cannot be converted to int
                        int x = "text";
                                ^
                Main.java:4: error: cannot find symbol
                        System.out.println(y);
                                           ^
                  symbol:   variable y
                  location: class Main
                2 errors
                """;
        assertThat(java.syntaxProblems("", stderr, "/workspace/Main.java")).containsExactly(
                new SyntaxProblem(Optional.of(3), Optional.of(17), "incompatible types: String cannot be converted to int"),
                new SyntaxProblem(Optional.of(4), Optional.of(28), "cannot find symbol\nsymbol:   variable y\nlocation: class Main"));
    }

    @Test
    void java_notesAndWarningsAreNoProblems() {
        String stderr = """
                Note: Main.java uses unchecked or unsafe operations.
                Note: Recompile with -Xlint:unchecked for details.
                """;
        assertThat(java.syntaxProblems("", stderr, "/workspace/Main.java")).isEmpty();
    }

    @Test
    void java_outOfMemoryIsRecognised() {
        assertThat(java.reportsOutOfMemory("Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space\n"))
                .isTrue();
    }

    // ---- TypeScript

    @Test
    void typescript_typeErrorsAreProblemsWithLineAndColumn() {
        String stdout = """
                main.mts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.
                main.mts(6,15): error TS2345: Argument of type 'number' is not assignable to parameter of type 'string'.
                """;
        assertThat(typescript.syntaxProblems(stdout, "", "/workspace/main.mts")).containsExactly(
                new SyntaxProblem(Optional.of(3), Optional.of(7), "TS2322: Type 'string' is not assignable to type 'number'."),
                new SyntaxProblem(Optional.of(6), Optional.of(15),
                        "TS2345: Argument of type 'number' is not assignable to parameter of type 'string'."));
    }

    @Test
    void typescript_syntaxErrorIsAProblem() {
        assertThat(typescript.syntaxProblems("main.mts(2,14): error TS1005: ')' expected.\n", "", "/workspace/main.mts"))
                .containsExactly(new SyntaxProblem(Optional.of(2), Optional.of(14), "TS1005: ')' expected."));
    }

    @Test
    void typescript_elaborationLinesContinueTheMessage() {
        String stdout = """
                main.mts(4,7): error TS2322: Type '{ x: string; }' is not assignable to type 'P'.
                  Types of property 'x' are incompatible.
                    Type 'string' is not assignable to type 'number'.
                """;
        assertThat(typescript.syntaxProblems(stdout, "", "/workspace/main.mts")).singleElement().satisfies(p ->
                assertThat(p.message()).endsWith("incompatible.\nType 'string' is not assignable to type 'number'."));
    }

    @Test
    void typescript_problemsOutsideTheUsersFileComeAfterItsOwn() {
        String stdout = """
                error TS5023: Unknown compiler option 'x'.
                main.mts(1,1): error TS2304: Cannot find name 'foo'.
                """;
        List<SyntaxProblem> problems = typescript.syntaxProblems(stdout, "", "/workspace/main.mts");
        assertThat(problems).hasSize(2);
        assertThat(problems.get(0).line()).contains(1);
        assertThat(problems.get(1).message()).isEqualTo("TS5023: Unknown compiler option 'x'.");
    }

    @Test
    void typescript_cleanCompileHasNoProblems() {
        assertThat(typescript.syntaxProblems("", "", "/workspace/main.mts")).isEmpty();
    }

    @Test
    void typescript_runtimeErrorNamesTheTypeScriptLineThroughTheSourceMap() {
        String stderr = """
                /workspace/main.mts:4
                    throw new RangeError(`x too big: ${p.x}`);
                          ^


                RangeError: x too big: 5
                    at check (/workspace/main.mts:4:11)
                    at <anonymous> (/workspace/main.mts:9:13)
                    at ModuleJob.run (node:internal/modules/esm/module_job:325:25)
                    at async ModuleLoader.import (node:internal/modules/esm/loader:606:24)
                    at async asyncRunEntryPointWithESMLoader (node:internal/modules/run_main:117:5)

                Node.js v20.20.2
                """;
        assertThat(typescript.runtimeError(stderr, "/workspace/main.mts"))
                .contains(new CodeError("RangeError", "x too big: 5", Optional.of(4)));
    }

    @Test
    void typescript_runsTheCompiledModuleWithSourceMapsAndTheJavaScriptPreload() {
        List<String> command = typescript.runCommand("/x/tsc", "main.mts", RunOptions.withMemory(512));
        assertThat(command).contains("--enable-source-maps", "/opt/mcp-sandbox/js/preload.mjs");
        assertThat(command.get(command.size() - 1)).isEqualTo(".build/main.mjs");
        assertThat(typescript.guestFiles()).containsKeys("js/preload.mjs", "ts/tools.d.ts");
    }

    @Test
    void typescript_compileRefusesToEmitOnTypeErrorsAndDeclaresTheToolsGlobal() {
        assertThat(typescript.compileCommand("/x/tsc", "main.mts")).hasValueSatisfying(c -> assertThat(c)
                .contains("--noEmitOnError", "--sourceMap", "/opt/mcp-sandbox/ts/tools.d.ts")
                .containsSubsequence("--outDir", ".build", "main.mts"));
    }

    @Test
    void typescript_nodeTypesComeFromTheCompilersOwnNodeModules() {
        assertThat(TypeScriptLanguage.nodeTypes("/nowhere/node_modules/typescript/node_modules/@typescript/x/lib/tsc"))
                .isEmpty();
        assertThat(TypeScriptLanguage.nodeTypes("/usr/bin/tsc")).isEmpty();
    }

    // ---- Ruby

    @Test
    void ruby_exceptionTakesClassMessageAndRaisingLine() {
        String stderr = """
                main.rb:2:in `check': too big: 5 (ArgumentError)
                \tfrom main.rb:6:in `<main>'
                """;
        assertThat(ruby.runtimeError(stderr, "/workspace/main.rb"))
                .contains(new CodeError("ArgumentError", "too big: 5", Optional.of(2)));
    }

    @Test
    void ruby_exceptionFromTheLoadedScriptTakesItsLine() {
        String stderr = """
                /workspace/main.rb:2:in `check': too big: 5 (ArgumentError)
                \tfrom /workspace/main.rb:6:in `<top (required)>'
                """;
        assertThat(ruby.runtimeError(stderr, "/workspace/main.rb"))
                .contains(new CodeError("ArgumentError", "too big: 5", Optional.of(2)));
    }

    @Test
    void ruby_runsTheScriptThroughTheBootstrapThatWaitsForTheGoLine() {
        assertThat(ruby.runCommand("/usr/bin/ruby3.1", "main.rb", RunOptions.withMemory(512)))
                .containsExactly("/usr/bin/ruby3.1", "-e", RubyLanguage.BOOTSTRAP, "main.rb");
        assertThat(ruby.goLine()).isEqualTo(dev.mcpsandbox.sandbox.backend.GoLine.RUNTIME);
    }

    @Test
    void ruby_exceptionInTheLibraryTakesTheUsersCallingLine() {
        String stderr = """
                /usr/lib/ruby/3.1.0/json/common.rb:216:in `parse': 859: unexpected token at '{' (JSON::ParserError)
                \tfrom /usr/lib/ruby/3.1.0/json/common.rb:216:in `parse'
                \tfrom main.rb:4:in `<main>'
                """;
        assertThat(ruby.runtimeError(stderr, "/workspace/main.rb"))
                .contains(new CodeError("JSON::ParserError", "859: unexpected token at '{'", Optional.of(4)));
    }

    @Test
    void ruby_errorHighlightSnippetIsNotPartOfTheMessage() {
        String stderr = """
                main.rb:2:in `<main>': undefined method `upcase' for nil:NilClass (NoMethodError)

                puts x.upcase
                      ^^^^^^^
                """;
        assertThat(ruby.runtimeError(stderr, "/workspace/main.rb"))
                .contains(new CodeError("NoMethodError", "undefined method `upcase' for nil:NilClass", Optional.of(2)));
    }

    @Test
    void ruby_messageOfSeveralLinesAndEmptyMessagesAreKept() {
        assertThat(ruby.runtimeError("main.rb:1:in `<main>': two (ArgumentError)\nlines\n", "/workspace/main.rb"))
                .contains(new CodeError("ArgumentError", "two\nlines", Optional.of(1)));
        assertThat(ruby.runtimeError("main.rb:2:in `<main>': MyError (MyError)\n", "/workspace/main.rb"))
                .contains(new CodeError("MyError", "MyError", Optional.of(2)));
    }

    @Test
    void ruby_syntaxErrorAtRunTimeIsASyntaxError() {
        String stderr = """
                main.rb:2: syntax error, unexpected ')', expecting end-of-input
                puts )
                     ^
                """;
        assertThat(ruby.runtimeError(stderr, "/workspace/main.rb")).contains(new CodeError("SyntaxError",
                "syntax error, unexpected ')', expecting end-of-input", Optional.of(2)));
    }

    @Test
    void ruby_checkGivesLineAndColumnWhenRubyShowsACaret() {
        String stderr = """
                main.rb:2: syntax error, unexpected ')', expecting end-of-input
                puts )
                     ^
                """;
        assertThat(ruby.syntaxProblems("", stderr, "/workspace/main.rb")).containsExactly(new SyntaxProblem(
                Optional.of(2), Optional.of(6), "syntax error, unexpected ')', expecting end-of-input"));
        assertThat(ruby.syntaxProblems("", "main.rb:4: syntax error, unexpected end-of-input, expecting `end'\n",
                "/workspace/main.rb")).containsExactly(new SyntaxProblem(Optional.of(4), Optional.empty(),
                "syntax error, unexpected end-of-input, expecting `end'"));
    }

    @Test
    void ruby_warningsAndSyntaxOkAreNoProblems() {
        assertThat(ruby.syntaxProblems("Syntax OK\n",
                "main.rb:2: warning: found `= literal' in conditional, should be ==\n", "/workspace/main.rb")).isEmpty();
        assertThat(ruby.syntaxProblems("Syntax OK\n", "", "/workspace/main.rb")).isEmpty();
    }

    @Test
    void ruby_versionIsTheSecondWord() {
        assertThat(ruby.parseVersion("ruby 3.1.2p20 (2022-04-12 revision 4491bb740a) [x86_64-linux-gnu]\n"))
                .isEqualTo("3.1.2p20");
    }

    // ---- advisory findings for validate_code

    private static List<String> categories(String language, String code) {
        return AdvisoryScan.scan(language, code).stream().map(AdvisoryScan.Finding::category).toList();
    }

    @Test
    void advisory_typescriptGetsJavaScriptsProbes() {
        assertThat(categories("typescript", "import { execFileSync } from 'node:child_process';\nconst k = process.env.KEY;\n"))
                .containsExactly("subprocess", "environment");
    }

    @Test
    void advisory_javaProcessesNetworkAndLongSleeps() {
        assertThat(categories("java", """
                var p = new ProcessBuilder("ls").start();
                var s = new java.net.Socket("example.org", 80);
                Thread.sleep(5000);
                Thread.sleep(100);
                // Thread.sleep(9000) in a comment
                """)).containsExactly("subprocess", "network", "long_sleep");
    }

    @Test
    void advisory_rubyCommandsEnvironmentAndSleeps() {
        assertThat(categories("ruby", """
                require 'net/http'
                out = `ls`
                system('date')
                key = ENV['KEY']
                sleep 0.5
                sleep 3
                # system('in a comment')
                """)).containsExactly("network", "subprocess", "subprocess", "environment", "long_sleep");
    }

    @Test
    void advisory_quietOnOrdinaryCode() {
        assertThat(categories("java", "public class Main { public static void main(String[] a) { System.out.println(1); } }\n"))
                .isEmpty();
        assertThat(categories("ruby", "def system_name\n  'x'\nend\nputs [1, 2].sum\n")).isEmpty();
    }
}
