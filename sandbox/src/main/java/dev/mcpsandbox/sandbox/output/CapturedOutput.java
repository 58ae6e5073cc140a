package dev.mcpsandbox.sandbox.output;

/**
 * What one stream produced, up to its cap.
 *
 * @param text       the captured bytes decoded as UTF-8 (malformed sequences replaced)
 * @param truncated  true when the stream produced more than the cap and the rest was dropped
 * @param totalBytes how many bytes the stream produced in all (as far as we read before the run ended)
 */
public record CapturedOutput(String text, boolean truncated, long totalBytes) {
    public static final CapturedOutput EMPTY = new CapturedOutput("", false, 0);

    public CapturedOutput withText(String replaced) {
        return new CapturedOutput(replaced, truncated, totalBytes);
    }
}
