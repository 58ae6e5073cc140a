package dev.mcpsandbox.server.transport;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/**
 * The shared secret of {@code Authorization: Bearer <token>}. Compared in constant time
 * ({@link MessageDigest#isEqual}) on SHA-256 digests, so neither the content nor the length of the
 * real token leaks through timing.
 */
final class BearerToken {
    private static final String SCHEME = "bearer ";

    private final byte[] digest;

    BearerToken(String token) {
        this.digest = sha256(token);
    }

    /** Names the holder of this token without revealing it: the start of its SHA-256 digest, e.g. {@code token:3f2a…}. */
    String identity() {
        return "token:" + java.util.HexFormat.of().formatHex(digest, 0, 12);
    }

    /** True when the header carries this token. */
    boolean admits(String authorizationHeader) {
        if (authorizationHeader == null || authorizationHeader.length() <= SCHEME.length()
                || !authorizationHeader.substring(0, SCHEME.length()).toLowerCase(Locale.ROOT).equals(SCHEME)) {
            return false;
        }
        return MessageDigest.isEqual(digest, sha256(authorizationHeader.substring(SCHEME.length()).strip()));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
