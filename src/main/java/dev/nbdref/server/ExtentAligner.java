package dev.nbdref.server;

import dev.nbdref.block.Extent;

import java.util.ArrayList;
import java.util.List;

/**
 * Rounds extents to the advertised minimum block, because block status lengths should be multiples of
 * it. A block whose pieces differ takes the weakest claim of them: it is a hole only if every piece is,
 * and reads as zero only if every piece does, so the answer is never wrong, only less precise.
 */
final class ExtentAligner {
    private ExtentAligner() {}

    /**
     * @param extents consecutive extents starting at an aligned offset
     * @param block   the minimum block size (a power of two)
     * @param limit   where the extents may end at most (the device end); the last one is never cut short of it
     */
    static List<Extent> align(List<Extent> extents, int block, long start, long limit) {
        if (block == 1 || extents.isEmpty()) return extents;
        List<Extent> out = new ArrayList<>();
        long pos = start;
        long runStart = start;
        boolean hole = true, zero = true; // the state of the run being built
        for (Extent x : extents) {
            long end = pos + x.length();
            hole &= x.hole();
            zero &= x.zero();
            long alignedEnd = end == limit ? end : end & -block;
            if (alignedEnd > runStart) {
                // the block that straddles this extent's start takes the state of every piece in it
                long straddleEnd = Math.min(alignedEnd, (pos + block - 1) & -block);
                if (straddleEnd > runStart) {
                    append(out, new Extent(straddleEnd - runStart, hole, zero));
                    runStart = straddleEnd;
                }
                if (alignedEnd > runStart) {
                    append(out, new Extent(alignedEnd - runStart, x.hole(), x.zero()));
                    runStart = alignedEnd;
                }
                // what is left of this extent past the last boundary starts the next partial block
                hole = alignedEnd == end || x.hole();
                zero = alignedEnd == end || x.zero();
            }
            pos = end;
        }
        // Too few extents to finish one block: claim nothing about it (allocated data is always a true answer).
        if (out.isEmpty()) out.add(Extent.data(Math.min(block, limit - start)));
        return out;
    }

    private static void append(List<Extent> out, Extent e) {
        if (!out.isEmpty() && out.get(out.size() - 1).sameState(e)) {
            Extent last = out.remove(out.size() - 1);
            out.add(new Extent(last.length() + e.length(), e.hole(), e.zero()));
        } else {
            out.add(e);
        }
    }
}
