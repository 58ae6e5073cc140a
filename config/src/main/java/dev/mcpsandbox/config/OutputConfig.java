package dev.mcpsandbox.config;

/**
 * What happens to the code's output before it reaches the model.
 *
 * @param redactSecrets    remove secrets (keys, tokens, card numbers) from stdout, stderr and text files
 * @param maxFiles         files under {@code out/} listed in a result at most
 * @param inlineBytesEach  a file under {@code out/} larger than this is listed but not returned
 * @param inlineBytesTotal all returned files of one result together
 */
public record OutputConfig(boolean redactSecrets, int maxFiles, long inlineBytesEach, long inlineBytesTotal) {
    public static final OutputConfig DEFAULTS = new OutputConfig(true, 32, 2L << 20, 8L << 20);
}
