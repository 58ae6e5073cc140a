package dev.mcpsandbox.sandbox.language;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads the JSON list of {@code {line, column, message}} that our own checker scripts print. */
final class ProblemList {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ProblemList() {
    }

    static List<SyntaxProblem> parse(String stdout, String stderr) {
        List<SyntaxProblem> problems = new ArrayList<>();
        try {
            JsonNode list = JSON.readTree(stdout.strip());
            if (list == null || !list.isArray()) {
                throw new IllegalArgumentException("no problem list");
            }
            for (JsonNode p : list) {
                problems.add(new SyntaxProblem(optionalInt(p.get("line")), optionalInt(p.get("column")),
                        p.path("message").asText()));
            }
        } catch (Exception e) {
            problems.clear();
            problems.add(new SyntaxProblem(Optional.empty(), Optional.empty(),
                    "the checker failed: " + (stderr.isBlank() ? stdout : stderr).strip()));
        }
        return problems;
    }

    private static Optional<Integer> optionalInt(JsonNode node) {
        return node == null || !node.isInt() ? Optional.empty() : Optional.of(node.asInt());
    }
}
