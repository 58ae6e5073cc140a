package dev.mcpsandbox.sandbox.backend.bubblewrap.fork;

import java.util.BitSet;
import java.util.Optional;

/**
 * The host uids one template's children run as. A root server maps a block of host uids into the template's user
 * namespace besides the template's own, and each child runs as one of them, held until its sandbox is closed: no
 * two live children, and never the template, share a host uid, as no two cold sandboxes do. A server that is not
 * root has no uid but its own, which the template and its children then share, as its cold sandboxes do.
 */
public final class ChildUids {
    /**
     * @param host       the uid the child runs as on the host
     * @param inTemplate the same uid as the template's user namespace names it (the child maps its own to it)
     */
    public record ChildUid(int host, int inTemplate) {
    }

    private final int firstHost;
    private final int firstInTemplate;
    private final int size;
    private final boolean shared;
    private final BitSet leased;
    private final Runnable returnBlock;
    private int next;
    private boolean closed;
    private boolean returned;

    private ChildUids(int firstHost, int firstInTemplate, int size, boolean shared, Runnable returnBlock) {
        this.firstHost = firstHost;
        this.firstInTemplate = firstInTemplate;
        this.size = size;
        this.shared = shared;
        this.leased = new BitSet(size);
        this.returnBlock = returnBlock;
    }

    /**
     * A block of {@code size} host uids from {@code firstHost}, which the template's namespace names from
     * {@code firstInTemplate}; {@code returnBlock} gives it back once the template is gone and no child holds one.
     */
    public static ChildUids block(int firstHost, int firstInTemplate, int size, Runnable returnBlock) {
        if (size < 1) {
            throw new IllegalArgumentException("a block of " + size + " uids");
        }
        return new ChildUids(firstHost, firstInTemplate, size, false, returnBlock);
    }

    /** Every child runs as the template's own uid ({@code host}, named {@code inTemplate} in its namespace). */
    public static ChildUids sharedWithTemplate(int host, int inTemplate) {
        return new ChildUids(host, inTemplate, 1, true, () -> { });
    }

    /** A uid for one child; empty when every uid of the block is held by a live child, or the template is gone. */
    synchronized Optional<ChildUid> lease() {
        if (closed) {
            return Optional.empty();
        }
        if (shared) {
            return Optional.of(new ChildUid(firstHost, firstInTemplate));
        }
        // Round the block, as HostIdentity rounds its range: the next child is not given the uid just released
        int slot = leased.nextClearBit(next);
        if (slot >= size) {
            slot = leased.nextClearBit(0);
        }
        if (slot >= size) {
            return Optional.empty();
        }
        leased.set(slot);
        next = (slot + 1) % size;
        return Optional.of(new ChildUid(firstHost + slot, firstInTemplate + slot));
    }

    /** The child's sandbox is closed: its processes are gone and its scratch space removed. */
    synchronized void release(ChildUid uid) {
        if (!shared) {
            leased.clear(uid.host() - firstHost);
        }
        returnIfDone();
    }

    /** How many uids live children hold. */
    synchronized int held() {
        return leased.cardinality();
    }

    /** The template is gone: no more leases; the block goes back once the last child has released its uid. */
    public synchronized void close() {
        closed = true;
        returnIfDone();
    }

    private void returnIfDone() {
        if (closed && !returned && leased.isEmpty()) {
            returned = true;
            returnBlock.run();
        }
    }

    @Override
    public synchronized String toString() {
        return shared ? "uid " + firstHost + " (shared)" : "uids " + firstHost + ".." + (firstHost + size - 1);
    }
}
