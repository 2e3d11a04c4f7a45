package dev.nbdref.server;

/**
 * Adds up the time one thread spends blocked on the client, so another thread (the {@link IoWatchdog}) can see how
 * long that has been, even while the block is still going on. Only the blocked thread calls {@link #block},
 * {@link #unblock} and {@link #clear}; {@link #blockedNanos} may be called from anywhere.
 *
 * <p>The two fields are written in an order that lets a concurrent reader undercount for a moment but never
 * overcount, so the watchdog can only be late, never early.
 */
final class StallClock {
    private static final long NOT_BLOCKED = Long.MIN_VALUE;

    /** Blocked time of the finished blocks since the last {@link #clear}. */
    private volatile long finishedNanos;
    /** When the current block began (nanoTime), or {@link #NOT_BLOCKED}. */
    private volatile long blockedSince = NOT_BLOCKED;

    /** About to wait on the client. */
    void block() { blockedSince = System.nanoTime(); }

    /** The wait is over; its time is kept until {@link #clear}. */
    void unblock() {
        long since = blockedSince;
        if (since == NOT_BLOCKED) return; // a stray call (a close racing a write) must not add nonsense
        blockedSince = NOT_BLOCKED; // first, so a reader never counts this block twice
        finishedNanos += System.nanoTime() - since;
    }

    /** Starts counting afresh (not while blocked). */
    void clear() { finishedNanos = 0; }

    /** The time blocked since the last {@link #clear}, the current block included, as of {@code now} (nanoTime). */
    long blockedNanos(long now) {
        long finished = finishedNanos; // before blockedSince: see unblock()
        long since = blockedSince;
        return finished + (since == NOT_BLOCKED ? 0 : Math.max(0, now - since));
    }
}
