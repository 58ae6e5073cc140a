package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.sandbox.language.Language;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ModulePreloadsTest {
    @Test
    void readsTheVerdictFromTheLastMarkedLineAfterWhatTheModulesPrinted() {
        String out = "a module's chatter\n" + Language.ModulePreload.FAILED_MARK + "[]\n\n"
                + Language.ModulePreload.FAILED_MARK + "[[\"x\",\"MODULE_NOT_FOUND\"]]\n";
        assertThat(ModulePreloads.failures(out)).contains(Map.of("x", "MODULE_NOT_FOUND"));
        assertThat(ModulePreloads.failures("\n" + Language.ModulePreload.FAILED_MARK + "[]\n")).contains(Map.of());
    }

    @Test
    void aCheckThatNeverReachedItsVerdictTellsNothing() {
        assertThat(ModulePreloads.failures("")).isEmpty();
        assertThat(ModulePreloads.failures(Language.ModulePreload.FAILED_MARK + "[[\"x\",")).isEmpty();
        assertThat(ModulePreloads.failures(Language.ModulePreload.FAILED_MARK + "{}")).isEmpty();
    }
}
