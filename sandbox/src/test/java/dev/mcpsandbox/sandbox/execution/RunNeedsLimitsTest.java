package dev.mcpsandbox.sandbox.execution;

import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.language.RunNeeds;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class RunNeedsLimitsTest {
    private static final RunNeeds BROWSER = new RunNeeds(1024, 128, 128);

    @Test
    void runNeedsRaiseMemoryProcessesAndFileSizeButNothingElse() {
        ResourceLimits raised = RequestCheck.raisedToNeeds(ResourceLimits.DEFAULTS, Optional.of(BROWSER),
                ResourceLimits.DEFAULT_MAXIMA);
        assertThat(raised).isEqualTo(new ResourceLimits(30, 1024, 128, 1_048_576, 128, 64, 200));
    }

    @Test
    void runNeedsNeverLowerWhatTheRequestAskedFor() {
        ResourceLimits generous = new ResourceLimits(30, 2048, 200, 1_048_576, 200, 64, 200);
        assertThat(RequestCheck.raisedToNeeds(generous, Optional.of(BROWSER), ResourceLimits.DEFAULT_MAXIMA))
                .isEqualTo(generous);
    }

    @Test
    void runNeedsStopAtTheOperatorsMaxima() {
        ResourceLimits tight = new ResourceLimits(60, 768, 96, 1_048_576, 100, 64, 200);
        assertThat(RequestCheck.raisedToNeeds(ResourceLimits.DEFAULTS, Optional.of(BROWSER), tight))
                .isEqualTo(new ResourceLimits(30, 768, 96, 1_048_576, 100, 64, 200));
    }

    @Test
    void languagesWithoutRunNeedsKeepTheirLimits() {
        assertThat(RequestCheck.raisedToNeeds(ResourceLimits.DEFAULTS, Optional.empty(), ResourceLimits.DEFAULT_MAXIMA))
                .isEqualTo(ResourceLimits.DEFAULTS);
    }
}
