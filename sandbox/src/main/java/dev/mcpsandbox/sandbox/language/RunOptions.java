package dev.mcpsandbox.sandbox.language;

/**
 * What a run asks of its language beyond the code itself.
 *
 * @param memoryMb    the run's memory limit, for runtimes that must be told their heap size
 * @param imageFormat the picture format a diagram language renders to: {@code png} (default) or {@code svg}
 * @param session     the run is a call of a session that runs it as a new process (no kernel): a language with
 *                    state outside any process (SQL's database) keeps it in the session's work directory
 */
public record RunOptions(long memoryMb, String imageFormat, boolean session) {
    public static final String PNG = "png";
    public static final String SVG = "svg";

    /** A single-use run's options. */
    public RunOptions(long memoryMb, String imageFormat) {
        this(memoryMb, imageFormat, false);
    }

    public static RunOptions withMemory(long memoryMb) {
        return new RunOptions(memoryMb, PNG);
    }

    /** The same options for a call in a session. */
    public RunOptions inSession() {
        return new RunOptions(memoryMb, imageFormat, true);
    }
}
