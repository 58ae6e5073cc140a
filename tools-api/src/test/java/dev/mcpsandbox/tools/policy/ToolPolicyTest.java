package dev.mcpsandbox.tools.policy;

import dev.mcpsandbox.config.ToolRulesConfig;
import dev.mcpsandbox.tools.ToolName;
import dev.mcpsandbox.tools.registry.ToolDescriptor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ToolPolicyTest {
    private static final ToolDescriptor READ = tool("memory.read_graph", false);
    private static final ToolDescriptor DELETE = tool("memory.delete_entities", true);
    private static final ToolDescriptor CREATE = tool("memory.create_entities", false);

    @Test
    void nothingIsAllowedByDefault() {
        ToolPolicy policy = ToolPolicy.from(ToolRulesConfig.NOTHING_ALLOWED);
        assertThat(policy.decide(READ)).isInstanceOf(PolicyDecision.Deny.class);
        assertThat(policy.visible(READ)).isFalse();
    }

    @Test
    void denyWinsOverAllow() {
        ToolPolicy policy = policy(List.of("memory.*", "memory.delete_entities"), List.of("*.delete_*"), List.of());
        assertThat(policy.decide(DELETE)).isInstanceOf(PolicyDecision.Deny.class);
        assertThat(policy.decide(tool("memory.delete_x", false))).isInstanceOf(PolicyDecision.Deny.class);
        assertThat(policy.decide(READ)).isEqualTo(new PolicyDecision.Allow());
    }

    @Test
    void wildcardAllowsNonDestructiveTools() {
        ToolPolicy policy = policy(List.of("memory.*"), List.of(), List.of());
        assertThat(policy.decide(READ)).isEqualTo(new PolicyDecision.Allow());
        assertThat(policy.visible(READ)).isTrue();
        assertThat(policy.decide(tool("other.read_graph", false))).isInstanceOf(PolicyDecision.Deny.class);
    }

    @Test
    void destructiveToolNeedsExactAllow() {
        ToolPolicy policy = policy(List.of("memory.*", "memory.delete_entitie?"), List.of(), List.of());
        assertThat(policy.decide(DELETE)).isInstanceOf(PolicyDecision.Deny.class);
        assertThat(policy.visible(DELETE)).isFalse();
    }

    @Test
    void destructiveToolAllowedByExactName() {
        ToolPolicy policy = policy(List.of("memory.*", "memory.delete_entities"), List.of(), List.of());
        assertThat(policy.decide(DELETE)).isEqualTo(new PolicyDecision.Allow());
        assertThat(policy.visible(DELETE)).isTrue();
    }

    @Test
    void confirmPatternAsksForAllowedTool() {
        ToolPolicy policy = policy(List.of("memory.*", "memory.delete_entities"), List.of(),
                List.of("memory.create_*", "memory.delete_entities"));
        assertThat(policy.decide(CREATE)).isInstanceOf(PolicyDecision.Confirm.class);
        assertThat(policy.decide(DELETE)).isInstanceOf(PolicyDecision.Confirm.class);
        assertThat(policy.visible(CREATE)).isTrue();
        assertThat(policy.decide(READ)).isEqualTo(new PolicyDecision.Allow());
    }

    @Test
    void confirmDoesNotAllowByItself() {
        ToolPolicy policy = policy(List.of(), List.of(), List.of("memory.create_entities"));
        assertThat(policy.decide(CREATE)).isInstanceOf(PolicyDecision.Deny.class);
        assertThat(policy.visible(CREATE)).isFalse();
        ToolPolicy destructive = policy(List.of("memory.*"), List.of(), List.of("memory.delete_entities"));
        assertThat(destructive.decide(DELETE)).isInstanceOf(PolicyDecision.Deny.class);
    }

    @Test
    void reasonsNameTheRule() {
        ToolPolicy policy = policy(List.of("memory.*"), List.of("*.delete_*"), List.of("memory.create_*"));
        assertThat(policy.decide(tool("memory.delete_x", false)))
                .isEqualTo(new PolicyDecision.Deny("denied by tools.deny pattern \"*.delete_*\""));
        assertThat(policy.decide(tool("other.read_graph", false)))
                .isEqualTo(new PolicyDecision.Deny("not allowed: no tools.allow pattern matches \"other.read_graph\""));
        assertThat(policy.decide(CREATE)).isInstanceOfSatisfying(PolicyDecision.Confirm.class,
                c -> assertThat(c.reason()).contains("tools.confirm pattern \"memory.create_*\""));
        ToolPolicy noDeny = policy(List.of("memory.*"), List.of(), List.of());
        assertThat(noDeny.decide(DELETE)).isEqualTo(new PolicyDecision.Deny("\"memory.delete_entities\" is marked"
                + " destructive: allow it by its exact name in tools.allow (a wildcard does not allow destructive tools)"));
    }

    @Test
    void malformedPatternNamesItsKey() {
        assertThatThrownBy(() -> policy(List.of("memory.*"), List.of("a.b", "nodot"), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("tools.deny[1]: ");
    }

    private static ToolPolicy policy(List<String> allow, List<String> deny, List<String> confirm) {
        return ToolPolicy.from(new ToolRulesConfig(allow, deny, confirm));
    }

    private static ToolDescriptor tool(String qualified, boolean destructive) {
        return new ToolDescriptor(ToolName.parse(qualified).orElseThrow(), qualified, "", Map.of("type", "object"),
                Optional.empty(), !destructive, destructive);
    }
}
