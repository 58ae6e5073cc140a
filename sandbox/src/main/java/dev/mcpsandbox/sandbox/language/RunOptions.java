package dev.mcpsandbox.sandbox.language;

/**
 * What a run asks of its language beyond the code itself.
 *
 * @param memoryMb    the run's memory limit, for runtimes that must be told their heap size
 * @param imageFormat the picture format a diagram language renders to: {@code png} (default) or {@code svg}
 */
public record RunOptions(long memoryMb, String imageFormat) {
    public static final String PNG = "png";
    public static final String SVG = "svg";

    public static RunOptions withMemory(long memoryMb) {
        return new RunOptions(memoryMb, PNG);
    }
}
