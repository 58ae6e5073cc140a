package dev.mcpsandbox.sandbox.language;

/**
 * The least a language's run needs, whatever the request asked for: a request's memory and process limits
 * are raised to these (never above the operator's maxima). For runtimes that are not the user's code but a
 * large program driven by it, such as Chromium rendering a Mermaid diagram.
 *
 * @param memoryMb   memory of the run's sandbox (cgroup)
 * @param processes  processes and threads alive at once in the run's sandbox
 * @param fileSizeMb largest single file (Chromium sizes a shared-memory file at 64 MB, sparse)
 */
public record RunNeeds(int memoryMb, int processes, int fileSizeMb) {
}
