/**
 * Progressive discovery of the tools sandboxed code may call: {@link dev.mcpsandbox.tools.discovery.ToolSearch}
 * ranks tools for a few words, {@link dev.mcpsandbox.tools.discovery.CallSnippet} shows a ready-to-paste call
 * in a sandbox language, and {@link dev.mcpsandbox.tools.discovery.StubGenerator} writes typed stubs (Python
 * and TypeScript) of the guest {@code tools} object. Everything here is pure and deterministic: it takes the
 * {@link dev.mcpsandbox.tools.registry.ToolDescriptor}s to describe (already filtered by policy) and returns
 * text; names always go through {@link dev.mcpsandbox.tools.ToolName#identifier(String)}.
 */
package dev.mcpsandbox.tools.discovery;
