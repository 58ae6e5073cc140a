package dev.mcpsandbox.sandbox.backend.bubblewrap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Which host uid a sandbox runs as. A server running as root must never let code run as host root,
 * so it hands each live sandbox its own unprivileged uid from a range; a server that is already
 * unprivileged runs sandboxes as itself.
 */
final class HostIdentity {
    private static final int RANGE = 4096;

    private final boolean root;
    private final int ownUid;
    private final int base;
    private final BitSet leased = new BitSet(RANGE);
    private int next;

    private HostIdentity(boolean root, int ownUid, int base) {
        this.root = root;
        this.ownUid = ownUid;
        this.base = base;
        // Several servers may share a machine; start at a random place so their leases rarely meet.
        this.next = ThreadLocalRandom.current().nextInt(RANGE);
    }

    static HostIdentity detect(int uidBase) {
        int uid = effectiveUid();
        return of(uid, uidBase);
    }

    /** The identities a server running as {@code serverUid} hands out. */
    static HostIdentity of(int serverUid, int uidBase) {
        return new HostIdentity(serverUid == 0, serverUid, uidBase);
    }

    static int effectiveUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.split("\\s+")[2]);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read the server's uid from /proc/self/status", e);
        }
        throw new IllegalStateException("no Uid line in /proc/self/status");
    }

    /** True when sandboxes get their own uid (the server is root and switches to it before bwrap). */
    boolean switchesUid() {
        return root;
    }

    synchronized int lease() {
        if (!root) {
            return ownUid;
        }
        int slot = leased.nextClearBit(next);
        if (slot >= RANGE) {
            slot = leased.nextClearBit(0);
        }
        if (slot >= RANGE) {
            throw new IllegalStateException("all " + RANGE + " sandbox uids are in use");
        }
        leased.set(slot);
        next = (slot + 1) % RANGE;
        return base + slot;
    }

    synchronized void release(int uid) {
        if (root) {
            leased.clear(uid - base);
        }
    }

    /** {@code size} consecutive uids, leased together. */
    record Block(int first, int size) {
    }

    /**
     * {@code size} consecutive free uids (a fork-server template's children each run as one of them; a user
     * namespace maps a range in one line); empty when the server is not root or no such run is free.
     */
    synchronized Optional<Block> leaseBlock(int size) {
        if (!root) {
            return Optional.empty();
        }
        for (int start = leased.nextClearBit(0); start + size <= RANGE; start = leased.nextClearBit(start)) {
            int taken = leased.nextSetBit(start);
            if (taken < 0 || taken >= start + size) {
                leased.set(start, start + size);
                return Optional.of(new Block(base + start, size));
            }
            start = taken;
        }
        return Optional.empty();
    }

    synchronized void release(Block block) {
        leased.clear(block.first() - base, block.first() - base + block.size());
    }
}
