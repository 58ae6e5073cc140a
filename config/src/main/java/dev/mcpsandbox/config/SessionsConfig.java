package dev.mcpsandbox.config;

/**
 * Sessions: sandboxes that keep their state between the calls that name them.
 *
 * @param enabled       false refuses every call that names a session
 * @param idleMinutes   a session unused this long ends, with everything in it
 * @param maxAgeMinutes a session ends this long after it opened, however busy
 * @param perClient     sessions one client may hold open at once
 * @param total         sessions open at once on this server; 0: as many as half the memory holds at the default
 *                      memory limit (at least 1, at most 256)
 * @param queue         calls that may wait while a session is busy; more are refused
 */
public record SessionsConfig(boolean enabled, int idleMinutes, int maxAgeMinutes, int perClient, int total,
                             int queue) {
    public static final SessionsConfig DEFAULTS = new SessionsConfig(true, 15, 120, 4, 0, 4);
}
