package dev.mcpsandbox.sandbox.execution;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class RequestCheckTest {

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
