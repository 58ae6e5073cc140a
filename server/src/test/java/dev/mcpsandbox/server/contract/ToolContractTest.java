package dev.mcpsandbox.server.contract;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.mcpsandbox.config.ResourceLimits;
import dev.mcpsandbox.sandbox.limits.LimitKind;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class ToolContractTest {
    private static final Map<String, String> FACTS = facts();
    private final ToolContract<ExecuteCodeArguments, ExecuteCodeResult> execute =
            ToolContract.of(ExecuteCodeArguments.class, ExecuteCodeResult.class, FACTS);

    @Test
    void refusesAnUnknownArgument_namingTheNearestAndTheKnownOnes() {
        String message = invalid(Map.of("language", "python", "code", "print(1)", "timeout", 5));
        assertThat(message).contains("\"timeout\" is not a known argument")
                .contains("did you mean \"timeoutSeconds\"?")
                .contains("language, code, files, stdin, imageFormat, timeoutSeconds, limits");
    }

    @Test
    void refusesAnUnknownLimit_namingTheLimitsThatExist() {
        String message = invalid(Map.of("language", "python", "code", "x", "limits", Map.of("cpus", 2)));
        assertThat(message).contains("\"limits\"[\"cpus\"] is not a known key of \"limits\"")
                .contains("memoryMb, processes, outputBytes, fileSizeMb, diskMb");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        String message = invalid(Map.of("code", 5, "timeoutSeconds", 1.5));
        assertThat(message).contains("\"language\" is required")
                .contains("\"code\" must be a string, got 5")
                .contains("\"timeoutSeconds\" must be a whole number, got 1.5");
    }

    @Test
    void namesTheFileWhoseContentIsNotText() {
        String message = invalid(Map.of("language", "python", "code", "x", "files", Map.of("data.bin", List.of(1, 2))));
        assertThat(message).contains("\"files\"[\"data.bin\"] must be a string");
    }

    @Test
    void bindsValidArguments_withAbsentOptionalsEmpty() {
        Map<String, Object> sent = new LinkedHashMap<>();
        sent.put("language", "python");
        sent.put("code", "print(1)");
        sent.put("timeoutSeconds", 7);
        sent.put("limits", Map.of("memoryMb", 256));
        ExecuteCodeArguments args = ((ToolContract.Valid<ExecuteCodeArguments>) execute.parse(sent)).arguments();
        assertThat(args.stdin()).isEmpty();
        assertThat(args.files()).isEmpty();
        assertThat(args.requestedLimits()).containsOnly(Map.entry(ResourceLimits.Key.TIMEOUT_SECONDS, 7L),
                Map.entry(ResourceLimits.Key.MEMORY_MB, 256L));
    }

    @Test
    void eachRequestableLimitIsAConfigLimitOfTheSameName() {
        List<String> keys = Arrays.stream(ResourceLimits.Key.values()).map(ResourceLimits.Key::jsonName).toList();
        for (var component : ExecuteCodeArguments.RequestedLimits.class.getRecordComponents()) {
            assertThat(keys).contains(component.getName());
        }
        assertThat(keys).contains("timeoutSeconds");
    }

    @Test
    @SuppressWarnings("unchecked")
    void publishesSchemasFromTheRecords_withThisServersFacts() {
        Map<String, Object> input = execute.inputSchema();
        assertThat(input.get("required")).isEqualTo(List.of("language", "code"));
        assertThat(input.get("additionalProperties")).isEqualTo(false);
        Map<String, Object> props = (Map<String, Object>) input.get("properties");
        assertThat(((Map<String, Object>) props.get("language")).get("description")).isEqualTo(
                "One of: python, bash.");
        Map<String, Object> output = execute.outputSchema();
        Map<String, Object> limitHit = (Map<String, Object>) ((Map<String, Object>) output.get("properties")).get("limitHit");
        List<Object> names = new java.util.ArrayList<>();
        Arrays.stream(LimitKind.values()).forEach(l -> names.add(l.wireName()));
        names.add(null);
        assertThat(limitHit.get("enum")).isEqualTo(names);
        assertThat(limitHit.get("type")).isEqualTo(List.of("string", "null"));
    }

    @Test
    void writesAResultWithEveryFieldPresent_emptyOnesAsNull() {
        ExecuteCodeResult result = new ExecuteCodeResult(Optional.empty(), "", "", false, false, true,
                Optional.of(LimitKind.TIMEOUT), 5, Optional.of(JsonNodeFactory.instance.numberNode(42)), List.of(),
                List.of(), Optional.empty(), Optional.empty(), List.of(), "x1");
        Map<String, Object> structured = execute.structured(result);
        assertThat(structured).containsEntry("limitHit", "timeout").containsEntry("exitCode", null)
                .containsEntry("result", 42).containsEntry("compile", null);
        @SuppressWarnings("unchecked")
        Map<String, Object> published = (Map<String, Object>) execute.outputSchema().get("properties");
        assertThat(structured.keySet()).containsExactlyElementsOf(published.keySet());
    }

    private String invalid(Map<String, Object> sent) {
        ToolContract.Parsed<ExecuteCodeArguments> parsed = execute.parse(sent);
        assertThat(parsed).isInstanceOf(ToolContract.Invalid.class);
        return ((ToolContract.Invalid<ExecuteCodeArguments>) parsed).message();
    }

    private static Map<String, String> facts() {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("languages", "python, bash");
        for (ResourceLimits.Key k : ResourceLimits.Key.values()) {
            facts.put(k.jsonName() + ".default", "1");
            facts.put(k.jsonName() + ".max", "2");
        }
        return facts;
    }
}
