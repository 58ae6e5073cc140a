package dev.mcpsandbox.server.contract;

/** A tool that takes no arguments (any argument sent is refused, naming that there are none). */
public record NoArguments() {
}
