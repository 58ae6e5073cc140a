package dev.mcpsandbox.tools.policy;

import dev.mcpsandbox.tools.ToolName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ToolPatternTest {

    @Test
    void patternStarMatchesAcrossDots() {
        ToolPattern p = ToolPattern.parse("*.delete_*");
        assertThat(p.matches("memory.delete_entities")).isTrue();
        assertThat(p.matches("fs.nested.delete_file")).isTrue();
        assertThat(p.matches("memory.delete_")).isTrue();
        assertThat(p.matches("memory.read_graph")).isFalse();
        assertThat(ToolPattern.parse("memory.*").matches(new ToolName("memory", "a.b.c"))).isTrue();
        assertThat(ToolPattern.parse("*.*").matches("x.y")).isTrue();
    }

    @Test
    void questionMarkMatchesOneCharacter() {
        ToolPattern p = ToolPattern.parse("memory.get_?");
        assertThat(p.matches("memory.get_a")).isTrue();
        assertThat(p.matches("memory.get_.")).isTrue();
        assertThat(p.matches("memory.get_")).isFalse();
        assertThat(p.matches("memory.get_ab")).isFalse();
    }

    @Test
    void everythingElseIsLiteral() {
        ToolPattern p = ToolPattern.parse("my-server.get-sum");
        assertThat(p.matches("my-server.get-sum")).isTrue();
        assertThat(p.matches("my-serverXget-sum")).isFalse();
        assertThat(p.matches("My-server.get-sum")).isFalse();
        assertThat(p.matches("my-server.get-sum2")).isFalse();
        assertThat(p.isWildcard()).isFalse();
    }

    @Test
    void middlePartsMatchWhereverTheyFit() {
        ToolPattern p = ToolPattern.parse("x.*ab*b");
        assertThat(p.matches("x.abb")).isTrue();
        assertThat(p.matches("x.ab")).isFalse();
        assertThat(ToolPattern.parse("s.*a?c*").matches("s.xxabcabd")).isTrue();
        assertThat(ToolPattern.parse("s.**x").matches("s.x")).isTrue();
        assertThat(ToolPattern.parse("s.*ab*ab").matches("s.abab")).isTrue();
        assertThat(ToolPattern.parse("s.*ab*ab").matches("s.aba")).isFalse();
    }

    @Test
    void isWildcardWhenItHasStarOrQuestionMark() {
        assertThat(ToolPattern.parse("memory.*").isWildcard()).isTrue();
        assertThat(ToolPattern.parse("memory.rea?").isWildcard()).isTrue();
        assertThat(ToolPattern.parse("memory.read").isWildcard()).isFalse();
    }

    @Test
    void refusesMalformedPatterns() {
        for (String bad : new String[] {"", "memory", "*", ".tool", "memory.", "mem ory.x", "a.b[c]", "a.b\\"}) {
            assertThatThrownBy(() -> ToolPattern.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("\"server.tool\"");
        }
    }

    @Test
    @Timeout(5)
    void manyStarsDoNotBacktrack() {
        ToolPattern p = ToolPattern.parse("*.*a*a*a*a*a*a*a*a*a*a*a*a*b");
        assertThat(p.matches("s." + "a".repeat(190))).isFalse();
    }

    @Test
    void equalByGlob() {
        assertThat(ToolPattern.parse("a.*")).isEqualTo(ToolPattern.parse("a.*")).hasToString("a.*");
    }
}
