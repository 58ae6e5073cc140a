package dev.mcpsandbox.sandbox.execution;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class RequestCheckTest {

    @org.junit.jupiter.api.Test
    void refusesANameThatAnotherNameNeedsAsADirectory() {
        assertThat(RequestCheck.conflictingPaths(java.util.Set.of("data", "data/in.csv"), "main.py"))
                .hasValueSatisfying(m -> assertThat(m).contains("data/in.csv").contains("\"data\""));
        assertThat(RequestCheck.conflictingPaths(java.util.Set.of("main.py/x"), "main.py"))
                .hasValueSatisfying(m -> assertThat(m).contains("code file"));
        assertThat(RequestCheck.conflictingPaths(java.util.Set.of("data/a.csv", "data/b.csv"), "main.py")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "/etc/passwd", "a/../../x", "a//b", ".", "a/./b", "", "a\\b", "x\u0000y", "main.py"})
    void refusesNamesThatEscapeOrCollide(String name) {
        assertThat(RequestCheck.badFileName(name, "main.py")).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"data.csv", "data/in.csv", "a/b/c.txt", "main.js", ".hidden", "名前.txt"})
    void acceptsNamesInsideTheWorkDirectory(String name) {
        assertThat(RequestCheck.badFileName(name, "main.py")).isEmpty();
    }
}
