package dev.mcpsandbox.server.contract;

import dev.mcpsandbox.sandbox.limits.LimitKind;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's list of limitHit values is LimitKind's: a new limit cannot ship undocumented. */
class LimitNamesInDocsTest {

    @Test
    void readmeNamesEveryLimitThatCanEndARun() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        int at = readme.indexOf("- `limitHit` names the limit that ended the run:");
        assertThat(at).as("README's limitHit paragraph").isNotNegative();
        String paragraph = readme.substring(at, readme.indexOf("\n- ", at + 1));
        for (LimitKind limit : LimitKind.values()) {
            assertThat(paragraph).as("README's limitHit values").contains("`" + limit.wireName() + "`");
        }
    }
}
