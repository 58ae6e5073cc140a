package dev.mcpsandbox.config;

/**
 * One set of resource limits. The same shape serves as operator defaults, operator maxima and the
 * effective limits of one execution, so "a request may lower, and raise only up to the maximum" is a
 * field-by-field comparison.
 *
 * @param timeoutSeconds wall-clock time of one run
 * @param memoryMb       memory of the whole sandbox (cgroup), and the address-space cap of each process
 * @param processes      processes and threads alive at once in the sandbox
 * @param outputBytes    stdout and stderr, each; more ends the run with limit {@code output}
 * @param fileSizeMb     largest single file the code may write
 * @param diskMb         total size of the work directory and /tmp
 * @param toolCalls      tool calls one execution may make (code mode)
 */
public record ResourceLimits(int timeoutSeconds, int memoryMb, int processes, long outputBytes,
                             int fileSizeMb, int diskMb, int toolCalls) {

    public static final ResourceLimits DEFAULTS = new ResourceLimits(30, 512, 64, 1_048_576, 16, 64, 200);
    public static final ResourceLimits DEFAULT_MAXIMA = new ResourceLimits(300, 4096, 256, 16_777_216, 256, 1024, 2000);

    /** The limit names as they appear in the configuration file and in {@code execute_code} arguments. */
    public enum Key {
        TIMEOUT_SECONDS("timeoutSeconds"), MEMORY_MB("memoryMb"), PROCESSES("processes"),
        OUTPUT_BYTES("outputBytes"), FILE_SIZE_MB("fileSizeMb"), DISK_MB("diskMb"), TOOL_CALLS("toolCalls");

        private final String jsonName;

        Key(String jsonName) {
            this.jsonName = jsonName;
        }

        public String jsonName() {
            return jsonName;
        }

        public long valueIn(ResourceLimits limits) {
            return switch (this) {
                case TIMEOUT_SECONDS -> limits.timeoutSeconds();
                case MEMORY_MB -> limits.memoryMb();
                case PROCESSES -> limits.processes();
                case OUTPUT_BYTES -> limits.outputBytes();
                case FILE_SIZE_MB -> limits.fileSizeMb();
                case DISK_MB -> limits.diskMb();
                case TOOL_CALLS -> limits.toolCalls();
            };
        }

        /** The smallest value that still lets a trivial program run. */
        public long minimum() {
            return switch (this) {
                case TIMEOUT_SECONDS, PROCESSES, FILE_SIZE_MB, DISK_MB -> 1;
                case MEMORY_MB -> 16;
                case OUTPUT_BYTES -> 1024;
                case TOOL_CALLS -> 0;
            };
        }
    }

    public long get(Key key) {
        return key.valueIn(this);
    }

    public ResourceLimits with(Key key, long value) {
        int asInt = (int) Math.min(Integer.MAX_VALUE, value);
        return new ResourceLimits(
                key == Key.TIMEOUT_SECONDS ? asInt : timeoutSeconds,
                key == Key.MEMORY_MB ? asInt : memoryMb,
                key == Key.PROCESSES ? asInt : processes,
                key == Key.OUTPUT_BYTES ? value : outputBytes,
                key == Key.FILE_SIZE_MB ? asInt : fileSizeMb,
                key == Key.DISK_MB ? asInt : diskMb,
                key == Key.TOOL_CALLS ? asInt : toolCalls);
    }
}
