package dev.mcpsandbox.tools.registry;

/**
 * What an upstream tool answered, already reduced to what guest code receives.
 *
 * @param value       the structured content, or the text content parsed as JSON when it is JSON, or the
 *                    text itself; a Jackson-serialisable value (Map, List, String, Number, Boolean or null
 *                    wrapped as {@link java.util.Optional#empty()} is not used: JSON null is {@code null} here)
 * @param text        the concatenated text content, for audit and error messages
 * @param isError     the upstream's own {@code isError}: the tool ran and reported failure
 * @param resultBytes size of the serialised value, counted against the result budget
 */
public record UpstreamResult(Object value, String text, boolean isError, long resultBytes) {
}
