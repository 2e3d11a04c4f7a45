package dev.nbdref.block;

/**
 * Remembers recent data runs that SEEK_HOLE reported, so reading through a large allocated file does not ask the
 * kernel again for every request: on tmpfs, SEEK_HOLE walks every cached page up to the next hole, milliseconds a
 * call in a 1 GiB file, and a structured read asks once per request.
 *
 * <p>Only data is remembered. Calling a range data is safe even when the answer is stale, because data promises
 * nothing about the content; a stale hole could hide written bytes. Writes only turn holes into data, so they
 * leave the runs true; every deallocation (a trim, zeroes that punch) must call {@link #forget} once it is done,
 * so block status shows the new hole at once. The generation count stops a lookup that started before such a
 * change from putting its older answer back afterwards.
 */
final class DataRunCache {
    /** Enough for a few connections reading different parts of a file at once. */
    static final int SLOTS = 16;

    private record Run(long start, long end) {
        boolean contains(long pos) { return pos >= start && pos < end; }
    }

    private volatile Run[] runs = new Run[0];
    private long generation;
    private int next;

    /** Where the remembered data run holding {@code pos} ends, or -1 when none holds it. */
    long dataEnd(long pos) {
        for (Run r : runs) if (r.contains(pos)) return r.end;
        return -1;
    }

    /** Taken before asking the kernel, handed back to {@link #remember}. */
    synchronized long generation() {
        return generation;
    }

    /** Keeps the data run [start, end), unless a deallocation happened since {@code seenGeneration} was taken. */
    synchronized void remember(long start, long end, long seenGeneration) {
        if (seenGeneration != generation || end <= start) return;
        Run[] grown;
        if (runs.length < SLOTS) {
            grown = java.util.Arrays.copyOf(runs, runs.length + 1);
            grown[runs.length] = new Run(start, end);
        } else {
            grown = runs.clone();
            grown[next] = new Run(start, end);
            next = (next + 1) % SLOTS; // the oldest goes next
        }
        runs = grown;
    }

    /** Drops every run: something was deallocated. */
    synchronized void forget() {
        generation++;
        runs = new Run[0];
    }
}
