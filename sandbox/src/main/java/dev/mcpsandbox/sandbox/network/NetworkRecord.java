package dev.mcpsandbox.sandbox.network;

/**
 * One connection sandboxed code asked the proxy for: where to, whether it was let through, what flowed.
 *
 * @param bytesOut bytes from the code to the host (request heads included)
 * @param bytesIn  bytes from the host back to the code
 * @param reason   why it was refused or cut, or which allow pattern let it through
 */
public record NetworkRecord(String host, int port, boolean allowed, long bytesOut, long bytesIn, String reason) {
}
