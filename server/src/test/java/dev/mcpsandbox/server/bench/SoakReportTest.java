package dev.mcpsandbox.server.bench;

import dev.mcpsandbox.server.bench.Soak.Verdict;
import dev.mcpsandbox.server.bench.SoakServer.Sample;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The soak's judgement of one answer, its slope and how it rewrites its section of BENCHMARKS.md. */
class SoakReportTest {

    @Test
    void judge_onlyTheExactAnswerForThisCallIsRight() {
        assertThat(Soak.judge(6, answer(false, Map.of("stdout", "42\n", "exitCode", 0))).verdict()).isEqualTo(Verdict.RIGHT);
        assertThat(Soak.judge(7, answer(false, Map.of("stdout", "42\n", "exitCode", 0))).verdict()).isEqualTo(Verdict.WRONG);
        assertThat(Soak.judge(6, answer(false, Map.of("stdout", "42", "exitCode", 0))).verdict()).isEqualTo(Verdict.WRONG);
        assertThat(Soak.judge(6, answer(true, Map.of("stdout", "42\n", "exitCode", 1))).verdict()).isEqualTo(Verdict.WRONG);
    }

    @Test
    void judge_aFullQueueIsARefusalNotAWrongAnswer() {
        Map<String, Object> busy = Map.of("stdout", "", "error", Map.of("type", "invalid_request",
                "message", "the server is busy: 2 executions are running and 32 are queued; retry in a few seconds"));
        assertThat(Soak.judge(6, answer(true, busy)).verdict()).isEqualTo(Verdict.REFUSED);
        Map<String, Object> failed = Map.of("stdout", "", "error", Map.of("type", "sandbox_failure", "message", "no"));
        assertThat(Soak.judge(6, answer(true, failed)).verdict()).isEqualTo(Verdict.WRONG);
    }

    @Test
    void slope_ofAStraightLineIsItsGradientPerThousand() {
        List<Sample> rising = List.of(sample(5_000, 100 * 1024), sample(10_000, 110 * 1024), sample(15_000, 120 * 1024));
        assertThat(SoakReport.slopePerThousand(rising, s -> s.rssKb() / 1024.0)).isCloseTo(2.0, within(1e-9));
        assertThat(SoakReport.slopePerThousand(rising.subList(0, 1), s -> s.rssKb() / 1024.0)).isNaN();
    }

    @Test
    void replaceSection_replacesItsOwnAndKeepsTheRestAsItWas(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("BENCHMARKS.md");
        Files.writeString(file, "# Benchmarks\n\n## A\n\na\n\n## Soak\n\nold\n\n## B\n\nb\n");
        SoakReport.replaceSection(file, "## Soak\n\nnew\n");
        assertThat(Files.readString(file)).isEqualTo("# Benchmarks\n\n## A\n\na\n\n## Soak\n\nnew\n\n## B\n\nb\n");
    }

    @Test
    void replaceSection_appendsWhenTheFileHasNone(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("BENCHMARKS.md");
        Files.writeString(file, "# Benchmarks\n\n## A\n\na\n");
        SoakReport.replaceSection(file, "## Soak\n\nnew\n");
        assertThat(Files.readString(file)).isEqualTo("# Benchmarks\n\n## A\n\na\n\n## Soak\n\nnew\n");
    }

    @Test
    void replaceSection_underAnotherHeading_leavesTheSoakAndTheOthersAlone(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("BENCHMARKS.md");
        Files.writeString(file, "# Benchmarks\n\n## Throughput (x)\n\nold\n\n## Soak\n\nsoak\n");
        SoakReport.replaceSection(file, "## Throughput (x)", "## Throughput (x)\n\nnew\n");
        SoakReport.replaceSection(file, "## CPU", "## CPU\n\ncpu\n");
        assertThat(Files.readString(file))
                .isEqualTo("# Benchmarks\n\n## Throughput (x)\n\nnew\n\n## Soak\n\nsoak\n\n## CPU\n\ncpu\n");
    }

    private static CallToolResult answer(boolean isError, Map<String, Object> structured) {
        return CallToolResult.builder().content(List.of(new TextContent("text"))).structuredContent(structured)
                .isError(isError).build();
    }

    private static Sample sample(long executions, long rssKb) {
        return new Sample("under load", executions, rssKb, 30, 12, 0, 4);
    }
}
