package dev.mcpsandbox.sandbox.language;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class LanguageErrorParsingTest {

    @Test
    void pythonErrorTakesTypeMessageAndLastFrameInUserFile() {
        String stderr = """
                Traceback (most recent call last):
                  File "/workspace/main.py", line 7, in <module>
                    f()
                  File "/workspace/main.py", line 3, in f
                    return {}['k']
                KeyError: 'k'
                """;
        assertThat(new PythonLanguage().runtimeError(stderr, "/workspace/main.py"))
                .contains(new CodeError("KeyError", "'k'", Optional.of(3)));
    }

    @Test
    void pythonSyntaxErrorAtRunTimeKeepsItsLine() {
        String stderr = """
                  File "/workspace/main.py", line 2
                    print(
                         ^
                SyntaxError: '(' was never closed
                """;
        assertThat(new PythonLanguage().runtimeError(stderr, "/workspace/main.py"))
                .contains(new CodeError("SyntaxError", "'(' was never closed", Optional.of(2)));
    }

    @Test
    void pythonWithoutTracebackHasNoError() {
        assertThat(new PythonLanguage().runtimeError("warning: something\n", "/workspace/main.py")).isEmpty();
    }

    @Test
    void javascriptErrorTakesTheThrowLocation() {
        String stderr = """
                file:///workspace/main.mjs:5
                null.foo
                     ^

                TypeError: Cannot read properties of null (reading 'foo')
                    at file:///workspace/main.mjs:5:6

                Node.js v20.20.2
                """;
        assertThat(new JavaScriptLanguage().runtimeError(stderr, "/workspace/main.mjs"))
                .contains(new CodeError("TypeError", "Cannot read properties of null (reading 'foo')", Optional.of(5)));
    }

    @Test
    void javascriptSyntaxCheckGivesLineAndColumn() {
        String stderr = """
                /workspace/main.mjs:2
                let x = ;
                        ^

                SyntaxError: Unexpected token ';'
                """;
        List<SyntaxProblem> problems = new JavaScriptLanguage().syntaxProblems("", stderr, "/workspace/main.mjs");
        assertThat(problems).containsExactly(new SyntaxProblem(Optional.of(2), Optional.of(9),
                "SyntaxError: Unexpected token ';'"));
    }

    @Test
    void bashErrorTakesTheLastLocatedLine() {
        String stderr = "main.sh: line 2: foo: command not found\n/workspace/main.sh: line 4: bar: command not found\n";
        assertThat(new BashLanguage().runtimeError(stderr, "/workspace/main.sh"))
                .contains(new CodeError("BashError", "bar: command not found", Optional.of(4)));
    }

    @Test
    void bashSyntaxCheckSkipsTheEchoedLine() {
        String stderr = "/workspace/main.sh: line 3: syntax error near unexpected token `fi'\n"
                + "/workspace/main.sh: line 3: `fi'\n";
        assertThat(new BashLanguage().syntaxProblems("", stderr, "/workspace/main.sh"))
                .containsExactly(new SyntaxProblem(Optional.of(3), Optional.empty(),
                        "syntax error near unexpected token `fi'"));
    }
}
