package dev.mcpsandbox.server.tools;

import dev.mcpsandbox.server.startup.Starting;
import dev.mcpsandbox.tools.ToolLayer;
import dev.mcpsandbox.tools.discovery.StubGenerator;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceSpecification;
import io.modelcontextprotocol.spec.McpSchema.ReadResourceResult;
import io.modelcontextprotocol.spec.McpSchema.Resource;
import io.modelcontextprotocol.spec.McpSchema.TextResourceContents;

import java.util.List;
import java.util.function.Function;

/**
 * MCP resources with typed stubs of every tool sandboxed code may call, per language: a model that
 * writes code against them needs no schema in its context. Generated on each read, so they follow
 * upstream servers that come, go or change their tools.
 */
public final class ToolStubResources {
    public static final String PYTHON_URI = "mcp-sandbox://tools/python";
    public static final String TYPESCRIPT_URI = "mcp-sandbox://tools/typescript";

    private final Starting<ToolLayer> tools;

    public ToolStubResources(Starting<ToolLayer> tools) {
        this.tools = tools;
    }

    public List<SyncResourceSpecification> specifications() {
        return List.of(
                resource(PYTHON_URI, "tools.pyi", "Python stubs of the callable tools",
                        "Type hints and docstrings for tools.<server>.<tool>(...) in execute_code's Python.",
                        "text/x-python", StubGenerator::python),
                resource(TYPESCRIPT_URI, "tools.d.ts", "TypeScript declarations of the callable tools",
                        "Declarations for await tools.<server>.<tool>({...}) in execute_code's JavaScript.",
                        "application/typescript", StubGenerator::typescript));
    }

    private SyncResourceSpecification resource(String uri, String name, String title, String description, String mime,
                                               Function<List<dev.mcpsandbox.tools.registry.ToolDescriptor>, String> render) {
        Resource resource = Resource.builder().uri(uri).name(name).title(title).description(description).mimeType(mime)
                .build();
        return new SyncResourceSpecification(resource, (exchange, request) -> new ReadResourceResult(
                List.of(new TextResourceContents(uri, mime, render.apply(tools.await().visibleTools())))));
    }
}
