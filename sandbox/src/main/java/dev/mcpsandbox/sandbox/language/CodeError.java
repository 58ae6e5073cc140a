package dev.mcpsandbox.sandbox.language;

import java.util.Optional;

/** A compile or runtime error the model can act on: its type, message and line in the user's code. */
public record CodeError(String type, String message, Optional<Integer> line) {
}
