package dev.mcpsandbox.server.languages;

import dev.mcpsandbox.server.SandboxServer;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What Go, Rust, C and C++ do beyond the shared suite, through the real server: crashes by signal are named,
 * UBSan gives C a line, tight run limits do not starve the compiler, and Go starts under a small memory limit
 * although its runtime reserves far more address space than it uses.
 */
@SuppressWarnings("unchecked")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NativeLanguagesIT {
    private SandboxServer server;
    private List<String> available;

    @BeforeAll
    void start() {
        server = SandboxServer.start();
        CallToolResult languages = server.call("list_languages", Map.of());
        available = ((List<Map<String, Object>>) ((Map<String, Object>) languages.structuredContent()).get("languages"))
                .stream().map(l -> (String) l.get("id")).toList();
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private Map<String, Object> run(String language, String code, Map<String, Object> extra) {
        SandboxServer.requireOrSkip(available.contains(language), language + " is not installed here (bin/setup installs it)");
        Map<String, Object> args = new LinkedHashMap<>(extra);
        args.put("language", language);
        args.put("code", code);
        args.putIfAbsent("timeoutSeconds", 30);
        return server.execute(args);
    }

    private static Map<String, Object> error(Map<String, Object> result) {
        assertThat(result.get("error")).as("result %s", result).isNotNull();
        return (Map<String, Object>) result.get("error");
    }

    @Test
    void cSegfault_isNamedWithoutALine() {
        Map<String, Object> r = run("c", """
                #include <stdint.h>

                int main(void) {
                    volatile int *p = (int *) (uintptr_t) 0x10;
                    return *p;
                }
                """, Map.of());
        assertThat(r.get("exitCode")).as("result %s", r).isEqualTo(139);
        assertThat(error(r)).containsEntry("type", "SIGSEGV").containsEntry("line", null);
    }

    @Test
    void cNullDereference_getsItsLineFromTheSanitizer() {
        Map<String, Object> r = run("c", """
                #include <stdio.h>

                int main(void) {
                    int *p = NULL;
                    printf("before\\n");
                    fflush(stdout);
                    return *p;
                }
                """, Map.of());
        assertThat(r.get("stdout")).isEqualTo("before\n");
        assertThat(error(r)).containsEntry("type", "UndefinedBehavior").containsEntry("line", 7);
    }

    @Test
    void cppUncaughtException_namesTheExceptionType() {
        Map<String, Object> r = run("cpp", """
                #include <vector>

                int main() {
                    std::vector<int> v;
                    return v.at(3);
                }
                """, Map.of());
        assertThat(r.get("exitCode")).as("result %s", r).isEqualTo(134);
        assertThat(error(r)).containsEntry("type", "std::out_of_range");
    }

    @Test
    void rustOverflow_panicsWithItsLine() {
        Map<String, Object> r = run("rust", """
                fn main() {
                    let a: i32 = std::env::args().count() as i32 + i32::MAX;
                    println!("{}", a);
                }
                """, Map.of());
        assertThat(error(r)).containsEntry("type", "panic").containsEntry("line", 2);
    }

    @Test
    void goStarts_underASmallMemoryLimit() {
        Map<String, Object> r = run("go", """
                package main

                import "fmt"

                func main() {
                    data := make([]byte, 8<<20)
                    fmt.Println("allocated", len(data))
                }
                """, Map.of("limits", Map.of("memoryMb", 64)));
        assertThat(r.get("stdout")).as("result %s", r).isEqualTo("allocated 8388608\n");
    }

    @Test
    void goStandardLibraryWithCgoParts_buildsAndRuns() {
        Map<String, Object> r = run("go", """
                package main

                import (
                    "fmt"
                    "net/http"
                    "net/http/httptest"
                    "io"
                )

                func main() {
                    rec := httptest.NewRecorder()
                    http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
                        io.WriteString(w, "served "+r.URL.Path)
                    }).ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
                    fmt.Println(rec.Body.String())
                }
                """, Map.of());
        assertThat(r.get("stdout")).as("result %s", r).isEqualTo("served /x\n");
    }

    @Test
    void compilersGetWhatTheyNeed_evenWhenTheRunAsksForLittle() {
        Map<String, Object> tight = Map.of("limits", Map.of("memoryMb", 64, "processes", 4));
        assertThat(run("rust", "fn main() { println!(\"tight rust\"); }\n", tight).get("stdout")).isEqualTo("tight rust\n");
        assertThat(run("cpp", "#include <iostream>\nint main() { std::cout << \"tight cpp\\n\"; }\n", tight)
                .get("stdout")).isEqualTo("tight cpp\n");
    }

    @Test
    void cWarnings_doNotMakeValidCodeInvalid() {
        SandboxServer.requireOrSkip(available.contains("c"), "c is not installed here");
        CallToolResult result = server.call("validate_code", Map.of("language", "c", "code",
                "#include <stdio.h>\nint main(void) {\n    int unused;\n    printf(\"ok\\n\");\n    return 0;\n}\n"));
        assertThat(((Map<String, Object>) result.structuredContent()).get("valid")).as(SandboxServer.text(result))
                .isEqualTo(true);
    }

    @Test
    void cWithMoreErrorsThanTheCheckerMayPrint_isReportedInvalidWithItsFirstErrors() {
        SandboxServer.requireOrSkip(available.contains("c"), "c is not installed here");
        // 30,000 errors of ~100 bytes each (message, source line, caret): past the checker's 1 MiB output cap.
        String code = "int f0(void) { return 0; }\n" + "}\n".repeat(30_000);
        CallToolResult result = server.call("validate_code", Map.of("language", "c", "code", code));
        Map<String, Object> report = (Map<String, Object>) result.structuredContent();
        assertThat(report.get("valid")).as(SandboxServer.text(result)).isEqualTo(false);
        List<Map<String, Object>> errors = (List<Map<String, Object>>) report.get("errors");
        assertThat(errors.get(0).get("line")).as("errors %s", errors.get(0)).isEqualTo(2);
    }

    @Test
    void missingToolchain_isListedWithItsInstallCommand_andExecuteCodeSaysSo() {
        try (SandboxServer withoutRust = SandboxServer.start(
                "{\"languages\": {\"rust\": {\"command\": [\"/nonexistent/rustc\"]}}}", Map.of())) {
            Map<String, Object> listing = (Map<String, Object>) withoutRust.call("list_languages", Map.of())
                    .structuredContent();
            List<Map<String, Object>> unavailable = (List<Map<String, Object>>) listing.get("unavailable");
            assertThat(unavailable).filteredOn(m -> "rust".equals(m.get("id"))).singleElement()
                    .satisfies(m -> assertThat((String) m.get("reason")).contains("apt-get install rustc"));
            CallToolResult result = withoutRust.call("execute_code", Map.of("language", "rust", "code", "fn main() {}\n"));
            assertThat(result.isError()).isTrue();
            assertThat(SandboxServer.text(result)).contains("apt-get install rustc");
        }
    }
}
