package dev.nbdref.bochs;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ObjIntConsumer;

/**
 * Collects consecutive runs of a small integer state (allocated or not, layer depth), merging neighbours
 * with the same state and refusing a new run once the caller's maximum is reached.
 */
final class RunList {
    private final int maxRuns;
    private final List<long[]> runs = new ArrayList<>();

    RunList(int maxRuns) {
        this.maxRuns = maxRuns;
    }

    /** Adds a run; false when it could neither be merged nor added (the list is full: stop there). */
    boolean add(long length, int state) {
        if (!runs.isEmpty()) {
            long[] last = runs.get(runs.size() - 1);
            if (last[1] == state) {
                last[0] += length;
                return true;
            }
        }
        if (runs.size() >= maxRuns) return false;
        runs.add(new long[] {length, state});
        return true;
    }

    /** Hands each run (length, state) to {@code sink}, in order. */
    void forEach(ObjIntConsumer<Long> sink) {
        for (long[] run : runs) sink.accept(run[0], (int) run[1]);
    }
}
