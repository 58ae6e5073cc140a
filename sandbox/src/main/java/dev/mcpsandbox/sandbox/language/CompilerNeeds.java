package dev.mcpsandbox.sandbox.language;

/**
 * The least a compiler needs to build a small program, whatever the request asked for; the operator's
 * maxima still cap it. A compiler is the toolchain's code, not the user's, and many of them (javac,
 * go, rustc) run threads and reserve memory that a tight run limit would not allow.
 *
 * @param memoryMb       memory of the compile sandbox (cgroup)
 * @param processes      processes and threads alive at once while compiling
 * @param addressSpaceMb per-process virtual memory of the compiler
 */
public record CompilerNeeds(int memoryMb, int processes, long addressSpaceMb) {
    public static final CompilerNeeds MODEST = new CompilerNeeds(512, 32, 2048);
}
