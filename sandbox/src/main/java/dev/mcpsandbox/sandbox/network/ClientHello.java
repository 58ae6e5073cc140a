package dev.mcpsandbox.sandbox.network;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Reads the server name (SNI) out of the first TLS record a client sends through a {@code CONNECT} tunnel, so
 * the proxy can hold a tunnel to the host it was opened for: a client that asks for an allowed host and then
 * speaks TLS to another name behind the same address is cut. Untrusted bytes: every length is checked, and
 * anything that is not a plain ClientHello yields nothing (the tunnel is then judged by its CONNECT host alone).
 */
final class ClientHello {
    static final int MAX_RECORD = 5 + (1 << 14);

    private ClientHello() {
    }

    /** True when {@code data[0..length)} starts with a TLS handshake record whose bytes are not all here yet. */
    static boolean incomplete(byte[] data, int length) {
        if (length < 1 || (data[0] & 0xFF) != 0x16) {
            return false;
        }
        if (length < 5) {
            return true;
        }
        int recordLength = ((data[3] & 0xFF) << 8) | (data[4] & 0xFF);
        return length < Math.min(5 + recordLength, MAX_RECORD);
    }

    /** The host_name of the server_name extension, lower case; empty when there is none or this is not TLS. */
    static Optional<String> serverName(byte[] data, int length) {
        try {
            return Optional.ofNullable(parse(data, length));
        } catch (IndexOutOfBoundsException e) {
            return Optional.empty();
        }
    }

    private static String parse(byte[] d, int length) {
        if (length < 6 || (d[0] & 0xFF) != 0x16 || (d[5] & 0xFF) != 0x01) {
            return null;
        }
        int end = Math.min(length, 5 + u16(d, 3, length));
        int p = 5 + 4;          // handshake type and length
        p += 2 + 32;            // client_version, random
        p += 1 + u8(d, p, end); // session_id
        p += 2 + u16(d, p, end); // cipher_suites
        p += 1 + u8(d, p, end); // compression_methods
        int extensionsEnd = Math.min(end, p + 2 + u16(d, p, end));
        p += 2;
        while (p + 4 <= extensionsEnd) {
            int type = u16(d, p, end);
            int size = u16(d, p + 2, end);
            p += 4;
            if (type == 0) {
                int q = p + 2; // server_name_list length
                while (q + 3 <= p + size) {
                    int nameType = u8(d, q, end);
                    int nameLength = u16(d, q + 1, end);
                    if (nameType == 0) {
                        if (q + 3 + nameLength > end) {
                            return null;
                        }
                        return new String(d, q + 3, nameLength, StandardCharsets.US_ASCII).toLowerCase(java.util.Locale.ROOT);
                    }
                    q += 3 + nameLength;
                }
                return null;
            }
            p += size;
        }
        return null;
    }

    private static int u8(byte[] d, int at, int end) {
        if (at >= end) {
            throw new IndexOutOfBoundsException(at);
        }
        return d[at] & 0xFF;
    }

    private static int u16(byte[] d, int at, int end) {
        return (u8(d, at, end) << 8) | u8(d, at + 1, end);
    }
}
