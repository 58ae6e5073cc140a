package dev.mcpsandbox.sandbox.session;

import java.time.Instant;
import java.util.Optional;

/**
 * What a call's result says about its session.
 *
 * @param calls     calls the session has run, this one included
 * @param expiresAt when it ends unless used again (idle timeout), or at its maximum age, whichever comes first
 * @param created   this call opened the session
 * @param restarted what earlier calls left was lost before this call (this call's language started afresh, or the
 *                  whole sandbox did); {@code reason} says why
 * @param reason    why state was lost: before this call when {@code restarted}, else during it (its interpreter
 *                  ended, so the next call of its language starts afresh)
 */
public record SessionReport(String name, long calls, Instant createdAt, Instant expiresAt, boolean created,
                            boolean restarted, Optional<String> reason) {
}
