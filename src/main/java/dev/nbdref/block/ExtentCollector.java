package dev.nbdref.block;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds an extents answer: merges each run into the previous one when their states match, so callers can
 * feed runs as they discover them, and refuses a new entry once {@code maxExtents} are held.
 */
final class ExtentCollector {
    private final int maxExtents;
    private final List<Extent> extents = new ArrayList<>();

    ExtentCollector(int maxExtents) {
        this.maxExtents = maxExtents;
    }

    /** Adds a run; false when the list is full and the run could not be merged (the caller stops there). */
    boolean add(Extent run) {
        int last = extents.size() - 1;
        if (last >= 0 && extents.get(last).sameState(run)) {
            Extent previous = extents.get(last);
            extents.set(last, new Extent(previous.length() + run.length(), run.hole(), run.zero()));
            return true;
        }
        if (extents.size() >= maxExtents) return false;
        extents.add(run);
        return true;
    }

    List<Extent> toList() {
        return List.copyOf(extents);
    }
}
