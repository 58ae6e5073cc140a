package dev.mcpsandbox.sandbox.session;

/** A session's identity: the caller that owns it and the name it chose; two callers' equal names never meet. */
record SessionKey(String owner, String name) {
}
