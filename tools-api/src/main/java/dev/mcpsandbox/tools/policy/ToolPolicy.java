package dev.mcpsandbox.tools.policy;

import dev.mcpsandbox.config.ToolRulesConfig;
import dev.mcpsandbox.tools.registry.ToolDescriptor;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The operator's allow, deny and confirm rules, compiled once and applied to every call and every
 * discovery listing. Checked in this order: deny (deny wins), allow (nothing is callable unless
 * allowed), the destructive rule (a tool hinting it is destructive must be named exactly: a wildcard
 * written for reading tools must not silently let deletes through), then confirm.
 */
public final class ToolPolicy {
    private final List<ToolPattern> allow;
    private final List<ToolPattern> deny;
    private final List<ToolPattern> confirm;

    private ToolPolicy(List<ToolPattern> allow, List<ToolPattern> deny, List<ToolPattern> confirm) {
        this.allow = allow;
        this.deny = deny;
        this.confirm = confirm;
    }

    /** @throws IllegalArgumentException naming the key (e.g. {@code tools.deny[1]}) of a malformed pattern */
    public static ToolPolicy from(ToolRulesConfig config) {
        return new ToolPolicy(compile(config.allow(), "tools.allow"), compile(config.deny(), "tools.deny"),
                compile(config.confirm(), "tools.confirm"));
    }

    private static List<ToolPattern> compile(List<String> globs, String key) {
        List<ToolPattern> patterns = new ArrayList<>(globs.size());
        for (int i = 0; i < globs.size(); i++) {
            try {
                patterns.add(ToolPattern.parse(globs.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + "[" + i + "]: " + e.getMessage(), e);
            }
        }
        return List.copyOf(patterns);
    }

    public PolicyDecision decide(ToolDescriptor tool) {
        String name = tool.name().qualified();
        Optional<ToolPattern> denied = first(deny, name);
        if (denied.isPresent()) {
            return new PolicyDecision.Deny("denied by tools.deny pattern \"" + denied.get() + "\"");
        }
        if (first(allow, name).isEmpty()) {
            return new PolicyDecision.Deny("not allowed: no tools.allow pattern matches \"" + name + "\"");
        }
        if (tool.destructive() && allow.stream().noneMatch(p -> !p.isWildcard() && p.glob().equals(name))) {
            return new PolicyDecision.Deny("\"" + name + "\" is marked destructive: allow it by its exact name in"
                    + " tools.allow (a wildcard does not allow destructive tools)");
        }
        Optional<ToolPattern> confirmed = first(confirm, name);
        if (confirmed.isPresent()) {
            return new PolicyDecision.Confirm("\"" + name + "\" matches tools.confirm pattern \"" + confirmed.get()
                    + "\": a human must confirm each call");
        }
        return new PolicyDecision.Allow();
    }

    /** Whether discovery shows the tool: exactly the tools a call could reach (allowed, or allowed after asking). */
    public boolean visible(ToolDescriptor tool) {
        return !(decide(tool) instanceof PolicyDecision.Deny);
    }

    private static Optional<ToolPattern> first(List<ToolPattern> patterns, String name) {
        return patterns.stream().filter(p -> p.matches(name)).findFirst();
    }
}
