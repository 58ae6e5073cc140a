package dev.mcpsandbox.sandbox.output;

import java.util.Optional;

/**
 * A file the code left in a harvested directory of its work directory.
 *
 * @param path       relative to the harvested directory, with '/' separators
 * @param mimeType   from the name, confirmed by the content for images (a misnamed image is not an image)
 * @param bytes      the file's size
 * @param executable whether the owner may execute it (kept for compiled programs)
 * @param content    the bytes, when the file fit within the inline caps
 */
public record ProducedFile(String path, String mimeType, long bytes, boolean executable, Optional<byte[]> content) {

    public boolean isImage() {
        return mimeType.startsWith("image/");
    }

    public boolean isText() {
        return mimeType.startsWith("text/") || mimeType.equals("application/json") || mimeType.equals("image/svg+xml");
    }
}
