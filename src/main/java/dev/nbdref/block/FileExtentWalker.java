package dev.nbdref.block;

import java.io.IOException;
import java.util.List;

/**
 * Turns SEEK_DATA/SEEK_HOLE answers into extents: from the query offset, alternating data runs and holes
 * up to the query end, merged and capped by {@link ExtentCollector}.
 */
final class FileExtentWalker {
    private final SparseFileOps holes;
    private final DataRunCache known;
    private final long end;

    /**
     * @param known data runs found earlier, consulted first and given what this walk finds
     * @param end   where the answer stops (the query end, never past the device end)
     */
    FileExtentWalker(SparseFileOps holes, DataRunCache known, long end) {
        this.holes = holes;
        this.known = known;
        this.end = end;
    }

    List<Extent> walk(long offset, int maxExtents) throws IOException {
        ExtentCollector out = new ExtentCollector(maxExtents);
        long pos = offset;
        while (pos < end) {
            Extent run = runAt(pos);
            if (!out.add(run)) break;
            pos += run.length();
        }
        return out.toList();
    }

    /** The run at {@code pos}: a hole up to the next data, or data up to the next hole. */
    private Extent runAt(long pos) throws IOException {
        long knownEnd = known.dataEnd(pos);
        if (knownEnd > pos) return Extent.data(Math.min(knownEnd, end) - pos);
        long generation = known.generation();
        long data = holes.nextData(pos);
        if (data == SparseFileOps.NO_MORE_DATA || data >= end) return Extent.hole(end - pos);
        if (data > pos) return Extent.hole(data - pos);
        // Data at pos must end past it; a concurrent punch could make the answer stale, and claiming one
        // byte of data is always safe (data promises nothing about the content), so progress is guaranteed.
        long hole = Math.max(holes.nextHole(pos), pos + 1);
        known.remember(pos, hole, generation);
        return Extent.data(Math.min(hole, end) - pos);
    }
}
