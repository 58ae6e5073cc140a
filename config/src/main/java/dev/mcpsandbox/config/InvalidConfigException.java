package dev.mcpsandbox.config;

import java.util.List;
import java.util.stream.Collectors;

/** Thrown once with every problem found, so an operator fixes the file in one pass. */
public final class InvalidConfigException extends Exception {
    private final transient List<ConfigProblem> problems;

    public InvalidConfigException(String source, List<ConfigProblem> problems) {
        super("invalid configuration " + source + ":\n" + problems.stream()
                .map(p -> "  - " + p).collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    public List<ConfigProblem> problems() {
        return problems;
    }
}
