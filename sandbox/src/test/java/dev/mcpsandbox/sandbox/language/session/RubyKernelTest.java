package dev.mcpsandbox.sandbox.language.session;

import dev.mcpsandbox.sandbox.language.Language;
import dev.mcpsandbox.sandbox.language.RunOptions;
import dev.mcpsandbox.sandbox.language.SessionKernel;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The Ruby kernel behind the real agent (outside a sandbox), with the host's Ruby. */
class RubyKernelTest {
    private static final Language RUBY = AgentOutsideSandbox.language("ruby");
    private static final String BINARY = "/usr/bin/ruby";
    private static final SessionKernel RB = RUBY.sessionKernel(BINARY, "main.rb", RunOptions.withMemory(256)).orElseThrow();

    @TempDir
    Path root;

    @BeforeEach
    void rubyIsInstalled() {
        assumeTrue(Files.isExecutable(Path.of(BINARY)), "no Ruby at " + BINARY);
    }

    @Test
    void localsMethodsAndRequiresPersistAndTheValueIsTheResult() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, RUBY)) {
            AgentOutsideSandbox.End first = agent.run(1, RB, "require 'set'\nx = 41\ndef bump(v) = v + 1\nputs 'hi'\nnil");
            assertThat(first.code()).isZero();
            assertThat(first.fresh()).isTrue();
            assertThat(first.stdout()).isEqualTo("hi\n");
            assertThat(first.result()).isEmpty();
            AgentOutsideSandbox.End second = agent.run(2, RB, "x = bump(x)\n{ x: x, set: Set[1, 2].size, line: gets.chomp }",
                    "from stdin\n");
            assertThat(second.kernel()).isEqualTo("kept");
            assertThat(second.fresh()).isFalse();
            assertThat(second.result()).contains("{\"x\":42,\"set\":2,\"line\":\"from stdin\"}");
            assertThat(agent.run(3, RB, "Object.new").result()).hasValueSatisfying(r -> assertThat(r).startsWith("\"#<Object:"));
        }
    }

    @Test
    void anErrorPrintsAsRubyDoesWithTheLineAndKeepsTheState() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, RUBY)) {
            agent.run(1, RB, "kept = 'yes'");
            AgentOutsideSandbox.End failed = agent.run(2, RB, "def boom\n  raise ArgumentError, 'bad'\nend\nboom\n");
            assertThat(failed.code()).isEqualTo(1);
            assertThat(failed.kernel()).isEqualTo("kept");
            assertThat(failed.stderr()).doesNotContain("ruby_kernel");
            assertThat(RUBY.runtimeError(failed.stderr(), agent.hostPath("/workspace/main.rb"))).hasValueSatisfying(e -> {
                assertThat(e.type()).isEqualTo("ArgumentError");
                assertThat(e.message()).isEqualTo("bad");
                assertThat(e.line()).contains(2);
            });
            AgentOutsideSandbox.End syntax = agent.run(3, RB, "x = 1\ndef (\n");
            assertThat(syntax.code()).isEqualTo(1);
            assertThat(RUBY.runtimeError(syntax.stderr(), agent.hostPath("/workspace/main.rb")))
                    .hasValueSatisfying(e -> assertThat(e.type()).isEqualTo("SyntaxError"));
            AgentOutsideSandbox.End exited = agent.run(4, RB, "exit 3");
            assertThat(exited.code()).isEqualTo(3);
            assertThat(exited.kernel()).isEqualTo("kept");
            assertThat(agent.run(5, RB, "kept").result()).contains("\"yes\"");
        }
    }

    @Test
    void interruptRaisesInterruptEndsTheCallWith130AndKeepsTheState() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, RUBY)) {
            agent.run(1, RB, "kept = 'yes'");
            agent.start(2, RB, "puts 'busy'\nloop { }\n", "");
            agent.awaitPrinted("busy");
            agent.interrupt(2);
            AgentOutsideSandbox.End interrupted = agent.awaitEnd(2);
            assertThat(interrupted.code()).isEqualTo(130);
            assertThat(interrupted.kernel()).isEqualTo("kept");
            assertThat(interrupted.stderr()).contains("Interrupt");
            agent.start(3, RB, "puts 'sleeping'\nsleep 30\n", "");
            agent.awaitPrinted("sleeping");
            agent.interrupt(3);
            assertThat(agent.awaitEnd(3).code()).isEqualTo(130);
            assertThat(agent.run(4, RB, "kept").result()).contains("\"yes\"");
        }
    }

    @Test
    void exitBangEndsTheKernelSoTheNextCallStartsFresh() throws Exception {
        try (AgentOutsideSandbox agent = new AgentOutsideSandbox(root, RUBY)) {
            agent.run(1, RB, "lost = 1");
            AgentOutsideSandbox.End ended = agent.run(2, RB, "exit!(4)");
            assertThat(ended.kernel()).isEqualTo("died");
            assertThat(ended.code()).isEqualTo(4);
            AgentOutsideSandbox.End next = agent.run(3, RB, "defined?(lost).inspect");
            assertThat(next.fresh()).isTrue();
            assertThat(next.result()).contains("\"nil\"");
        }
    }
}
