package dev.mcpsandbox.sandbox.language;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Diagnostics of Go, Rust, C and C++ as the real toolchains on Debian 12 print them (go 1.19, rustc 1.63,
 * gcc 12), captured in a sandbox by {@code native-diagnostics/programs/capture.sh} from the programs beside it.
 */
class NativeLanguageErrorParsingTest {
    private static final Language GO = new GoLanguage();
    private static final Language RUST = new RustLanguage();
    private static final Language C = new GccLanguage(GccLanguage.Dialect.C);
    private static final Language CPP = new GccLanguage(GccLanguage.Dialect.CPP);

    private static String fixture(String name) {
        try (InputStream in = NativeLanguageErrorParsingTest.class.getResourceAsStream("/native-diagnostics/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing fixture " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static SyntaxProblem problem(int line, int column, String message) {
        return new SyntaxProblem(Optional.of(line), Optional.of(column), message);
    }

    // Go

    @Test
    void goSyntaxError_isReadWithLineAndColumn() {
        assertThat(GO.syntaxProblems("", fixture("go_syntax.compile.txt"), "/workspace/main.go")).containsExactly(
                problem(6, 21, "syntax error: unexpected newline in argument list; possibly missing comma or )"));
    }

    @Test
    void goTypeErrors_areAllReportedInOrder() {
        List<SyntaxProblem> problems = GO.syntaxProblems("", fixture("go_types.compile.txt"), "/workspace/main.go");
        assertThat(problems).hasSize(4);
        assertThat(problems.get(0)).isEqualTo(problem(5, 2, "imported and not used: \"os\""));
        assertThat(problems.get(1)).isEqualTo(problem(11, 14, "undefined: undefinedThing"));
    }

    @Test
    void goBuildWithoutOutput_hasNoProblems() {
        assertThat(GO.syntaxProblems("", "", "/workspace/main.go")).isEmpty();
    }

    @Test
    void goProblemNotAboutAFileLine_keepsTheWholeText() {
        String stderr = "# command-line-arguments\ngo: cannot find GOROOT directory: /nowhere\n";
        assertThat(GO.syntaxProblems("", stderr, "/workspace/main.go")).containsExactly(
                new SyntaxProblem(Optional.empty(), Optional.empty(), "go: cannot find GOROOT directory: /nowhere"));
    }

    @Test
    void goIndexPanic_namesTheLineInTheUserFile() {
        assertThat(GO.runtimeError(fixture("go_index.run.txt"), "/workspace/main.go")).contains(
                new CodeError("panic", "runtime error: index out of range [3] with length 0", Optional.of(8)));
    }

    @Test
    void goPanicInACalledFunction_takesTheInnermostUserFrame() {
        assertThat(GO.runtimeError(fixture("go_nilmap.run.txt"), "/workspace/main.go")).contains(
                new CodeError("panic", "assignment to entry in nil map", Optional.of(4)));
    }

    @Test
    void goRepanic_dropsTheRecoveredMarker() {
        assertThat(GO.runtimeError(fixture("go_custom.run.txt"), "/workspace/main.go")).contains(
                new CodeError("panic", "custom failure", Optional.of(8)));
    }

    @Test
    void goNilPointer_isAPanicWithItsLine() {
        assertThat(GO.runtimeError(fixture("go_nilptr.run.txt"), "/workspace/main.go")).contains(
                new CodeError("panic", "runtime error: invalid memory address or nil pointer dereference", Optional.of(7)));
    }

    @Test
    void goDeadlock_isAFatalErrorAtTheBlockedLine() {
        assertThat(GO.runtimeError(fixture("go_deadlock.run.txt"), "/workspace/main.go")).contains(
                new CodeError("fatal error", "all goroutines are asleep - deadlock!", Optional.of(5)));
    }

    @Test
    void goPlainFailureOutput_isNoRuntimeError() {
        assertThat(GO.runtimeError("2024/01/02 03:04:05 could not open file\n", "/workspace/main.go")).isEmpty();
    }

    @Test
    void goOutOfMemory_isRecognised() {
        assertThat(GO.reportsOutOfMemory("fatal error: runtime: out of memory\n\nruntime stack:\n")).isTrue();
        assertThat(GO.reportsOutOfMemory(fixture("go_index.run.txt"))).isFalse();
    }

    // Rust

    @Test
    void rustErrors_takeTheirLocationFromTheArrowLine() {
        assertThat(RUST.syntaxProblems("", fixture("rs_types.compile.txt"), "/workspace/main.rs")).containsExactly(
                problem(3, 20, "cannot find value `y` in this scope [E0425]"),
                problem(2, 18, "mismatched types [E0308]"));
    }

    @Test
    void rustSyntaxError_isReadWithoutTheAbortSummary() {
        assertThat(RUST.syntaxProblems("", fixture("rs_syntax.compile.txt"), "/workspace/main.rs")).containsExactly(
                problem(2, 13, "mismatched closing delimiter: `}`"));
    }

    @Test
    void rustBorrowError_skipsTheWarningBeforeIt() {
        assertThat(RUST.syntaxProblems("", fixture("rs_borrow.compile.txt"), "/workspace/main.rs")).containsExactly(
                problem(4, 20, "borrow of moved value: `s` [E0382]"));
    }

    @Test
    void rustWarningsAlone_areNoProblems() {
        assertThat(RUST.syntaxProblems("", fixture("rs_warn.compile.txt"), "/workspace/main.rs")).isEmpty();
    }

    @Test
    void rustLinkFailure_isAProblemWithoutALine() {
        String stderr = "error: linker `cc` not found\n  |\n  = note: No such file or directory (os error 2)\n\n"
                + "error: aborting due to previous error\n\n";
        assertThat(RUST.syntaxProblems("", stderr, "/workspace/main.rs")).containsExactly(
                new SyntaxProblem(Optional.empty(), Optional.empty(), "linker `cc` not found"));
    }

    @Test
    void rustIndexPanic_namesTheLine() {
        assertThat(RUST.runtimeError(fixture("rs_index.run.txt"), "/workspace/main.rs")).contains(new CodeError(
                "panic", "index out of bounds: the len is 0 but the index is 3", Optional.of(5)));
    }

    @Test
    void rustOverflow_isAPanicBecauseOverflowChecksStayOn() {
        assertThat(RUST.runtimeError(fixture("rs_overflow.run.txt"), "/workspace/main.rs")).contains(
                new CodeError("panic", "attempt to add with overflow", Optional.of(2)));
    }

    @Test
    void rustUnwrapPanic_keepsTheWholeMessage() {
        assertThat(RUST.runtimeError(fixture("rs_unwrap.run.txt"), "/workspace/main.rs")).contains(new CodeError(
                "panic", "called `Result::unwrap()` on an `Err` value: \"bad\\nthing\"", Optional.of(3)));
    }

    @Test
    void rustPanicFormatOfNewerCompilers_isReadToo() {
        String stderr = "thread 'main' panicked at main.rs:4:9:\nindex out of bounds: the len is 0 but the index is 3\n"
                + "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assertThat(RUST.runtimeError(stderr, "/workspace/main.rs")).contains(new CodeError(
                "panic", "index out of bounds: the len is 0 but the index is 3", Optional.of(4)));
    }

    @Test
    void rustPanicInsideTheStandardLibrary_hasNoLine() {
        String stderr = "thread 'main' panicked at 'oops', library/core/src/option.rs:12:5\n";
        assertThat(RUST.runtimeError(stderr, "/workspace/main.rs")).contains(
                new CodeError("panic", "oops", Optional.empty()));
    }

    @Test
    void rustStackOverflow_isAFatalRuntimeError() {
        assertThat(RUST.runtimeError(fixture("rs_stack.run.txt"), "/workspace/main.rs")).contains(
                new CodeError("fatal runtime error", "stack overflow", Optional.empty()));
    }

    @Test
    void rustAllocationFailure_isOutOfMemory() {
        assertThat(RUST.reportsOutOfMemory("memory allocation of 4294967296 bytes failed\nAborted\n")).isTrue();
        assertThat(RUST.reportsOutOfMemory(fixture("rs_index.run.txt"))).isFalse();
    }

    // C and C++

    @Test
    void cSyntaxError_isTheErrorNotTheWarningAfterIt() {
        assertThat(C.syntaxProblems("", fixture("c_syntax.compile.txt"), "/workspace/main.c")).containsExactly(
                problem(5, 5, "expected ‘,’ or ‘;’ before ‘printf’"));
    }

    @Test
    void cWarningsAlone_areNoProblems() {
        assertThat(C.syntaxProblems("", fixture("c_warn.compile.txt"), "/workspace/main.c")).isEmpty();
    }

    @Test
    void cMissingHeader_isAFatalErrorWithItsLine() {
        assertThat(C.syntaxProblems("", fixture("c_header.compile.txt"), "/workspace/main.c")).containsExactly(
                problem(1, 10, "nosuch.h: No such file or directory"));
    }

    @Test
    void cLinkFailure_namesTheUndefinedSymbol() {
        assertThat(C.syntaxProblems("", fixture("c_link.compile.txt"), "/workspace/main.c")).containsExactly(
                new SyntaxProblem(Optional.empty(), Optional.empty(), "undefined reference to `missing'"));
    }

    @Test
    void cppErrors_areAllReported() {
        assertThat(CPP.syntaxProblems("", fixture("cpp_types.compile.txt"), "/workspace/main.cpp")).containsExactly(
                problem(4, 21, "conversion from ‘int’ to non-scalar type ‘std::string’"
                        + " {aka ‘std::__cxx11::basic_string<char>’} requested"),
                problem(5, 5, "‘undeclared’ was not declared in this scope"));
        assertThat(CPP.syntaxProblems("", fixture("cpp_syntax.compile.txt"), "/workspace/main.cpp")).containsExactly(
                problem(4, 35, "expected ‘;’ before ‘return’"));
    }

    @Test
    void cAssertion_givesTheAssertedLine() {
        assertThat(C.runtimeError(fixture("c_assert.run.txt"), "/workspace/main.c")).contains(
                new CodeError("AssertionError", "Assertion `n > 5' failed. (in main)", Optional.of(7)));
    }

    @Test
    void cppAssertion_givesTheAssertedLine() {
        assertThat(CPP.runtimeError(fixture("cpp_assert.run.txt"), "/workspace/main.cpp")).contains(
                new CodeError("AssertionError", "Assertion `v.size() > 2' failed. (in int main())", Optional.of(6)));
    }

    @Test
    void cNullDereference_isNamedByTheSanitizerWithItsLine() {
        assertThat(C.runtimeError(fixture("c_null.run.txt"), "/workspace/main.c")).contains(
                new CodeError("UndefinedBehavior", "load of null pointer of type 'int'", Optional.of(7)));
    }

    @Test
    void cDivisionByZero_isNamedByTheSanitizerWithItsLine() {
        assertThat(C.runtimeError(fixture("c_div.run.txt"), "/workspace/main.c")).contains(
                new CodeError("UndefinedBehavior", "division by zero", Optional.of(5)));
    }

    @Test
    void cWildPointer_isASignalWithoutALine() {
        assertThat(C.runtimeError(fixture("c_wild.run.txt"), "/workspace/main.c")).contains(
                new CodeError("SIGSEGV", "Segmentation fault", Optional.empty()));
    }

    @Test
    void cWildPointerUnderBash_isReadFromBashsReportToo() {
        assertThat(C.runtimeError(fixture("c_wild.run-bash.txt"), "/workspace/main.c")).contains(
                new CodeError("SIGSEGV", "Segmentation fault", Optional.empty()));
    }

    @Test
    void cppUncaughtException_givesTheTypeAndWhat() {
        assertThat(CPP.runtimeError(fixture("cpp_throw.run.txt"), "/workspace/main.cpp")).contains(new CodeError(
                "std::out_of_range", "vector::_M_range_check: __n (which is 3) >= this->size() (which is 0)",
                Optional.empty()));
    }

    @Test
    void cProgramThatOnlyExitsNonZero_hasNoRuntimeError() {
        assertThat(C.runtimeError("", "/workspace/main.c")).isEmpty();
        assertThat(C.runtimeError("usage: main FILE\n", "/workspace/main.c")).isEmpty();
    }

    @Test
    void cppBadAlloc_isOutOfMemory() {
        assertThat(CPP.reportsOutOfMemory("terminate called after throwing an instance of 'std::bad_alloc'\n"
                + "  what():  std::bad_alloc\nAborted\n")).isTrue();
    }

    // Commands

    @Test
    void compiledLanguages_writeTheirProgramUnderTheBuildDirectory() {
        for (Language language : List.of(GO, RUST, C, CPP)) {
            List<String> compile = language.compileCommand("/usr/bin/x", language.entryFileName("")).orElseThrow();
            assertThat(compile).contains(Language.BUILD_DIR + "/main", language.entryFileName(""));
            assertThat(String.join(" ", language.runCommand("/usr/bin/x", language.entryFileName(""),
                    RunOptions.withMemory(256)))).contains(Language.BUILD_DIR + "/main");
        }
    }

    @Test
    void goRun_tellsTheCollectorTheMemoryCapAndGetsRoomForItsReservations() {
        assertThat(GO.runCommand("/usr/bin/go", "main.go", RunOptions.withMemory(1000)))
                .containsExactly("/usr/bin/env", "GOMEMLIMIT=900MiB", ".build/main");
        assertThat(GO.addressSpaceMb(512)).isEqualTo(512 + GoLanguage.RUNTIME_RESERVE_MB);
    }

    @Test
    void versions_areReadFromEachToolchainsOutput() {
        assertThat(GO.parseVersion("go version go1.19.8 linux/amd64\n")).isEqualTo("1.19.8");
        assertThat(RUST.parseVersion("rustc 1.63.0\n")).isEqualTo("1.63.0");
        assertThat(C.parseVersion("12.2.0\n")).isEqualTo("12.2.0");
    }
}
