package dev.nbdref.bitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import dev.nbdref.bitmap.DirtyBitmap.DirtyRun;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random programs of marks, clears, merges, enable/disable and runs queries, checked against a boolean[] with one
 * entry per granule. Each integer of the program picks one operation and (through a seeded generator) its
 * arguments, so a failure shrinks to a short program.
 */
class InMemoryBitmapPropertyTest {

    @Test
    void behavesLikeABooleanArray() {
        qt().withFixedSeed(0x6469727479L).withExamples(400)
                .forAll(integers().between(9, 12), integers().between(1, 300_000),
                        lists().of(integers().all()).ofSizeBetween(1, 60))
                .checkAssert((shift, size, program) -> run(1L << shift, size, program));
    }

    private static void run(long granularity, long size, List<Integer> program) {
        InMemoryBitmap bitmap = new InMemoryBitmap("b", granularity, size, true);
        InMemoryBitmap other = new InMemoryBitmap("o", granularity, size, true);
        int granules = (int) ((size + granularity - 1) / granularity);
        boolean[] model = new boolean[granules];
        boolean[] otherModel = new boolean[granules];
        boolean enabled = true;
        for (int step : program) {
            SplittableRandom r = new SplittableRandom(step);
            long offset = r.nextLong(size);
            long length = 1 + r.nextLong(Math.min(size - offset, r.nextBoolean() ? granularity * 3 : size));
            switch (Math.floorMod(step, 8)) {
                case 0: case 1: case 2:
                    bitmap.mark(offset, length);
                    if (enabled) fill(model, offset, length, granularity);
                    break;
                case 3:
                    other.mark(offset, length);
                    fill(otherModel, offset, length, granularity);
                    break;
                case 4:
                    bitmap.mergeFrom(other);
                    for (int g = 0; g < granules; g++) model[g] |= otherModel[g];
                    break;
                case 5:
                    if (r.nextInt(4) == 0) {
                        bitmap.clear();
                        Arrays.fill(model, false);
                    }
                    break;
                case 6:
                    enabled = !enabled;
                    bitmap.setEnabled(enabled);
                    break;
                default:
                    check(bitmap, model, granularity, size, offset, length, 1 + r.nextInt(6));
            }
            check(bitmap, model, granularity, size, 0, size, Integer.MAX_VALUE);
        }
    }

    private static void fill(boolean[] model, long offset, long length, long granularity) {
        for (long g = offset / granularity; g <= (offset + length - 1) / granularity; g++) model[(int) g] = true;
    }

    private static void check(InMemoryBitmap bitmap, boolean[] model, long granularity, long size, long offset,
                              long length, int maxRuns) {
        List<DirtyRun> runs = bitmap.runs(offset, length, maxRuns);
        assertFalse(runs.isEmpty());
        assertTrue(runs.size() <= maxRuns);
        long wantedEnd = Math.min(size, ((offset + length - 1) / granularity + 1) * granularity);
        long pos = offset;
        Boolean previous = null;
        for (DirtyRun run : runs) {
            long end = pos + run.length();
            assertTrue(end <= wantedEnd, "run past the end of the last granule asked about: " + runs);
            assertTrue(end % granularity == 0 || end == size, "run ends inside a granule: " + runs);
            assertTrue(previous == null || previous != run.dirty(), "two runs of one state in a row: " + runs);
            for (long g = pos / granularity; g <= (end - 1) / granularity; g++) {
                assertEquals(model[(int) g], run.dirty(), "granule " + g + " in " + runs);
            }
            previous = run.dirty();
            pos = end;
        }
        if (runs.size() < maxRuns) assertEquals(wantedEnd, pos, "runs stop short: " + runs);
        long dirty = 0;
        for (boolean d : model) dirty += d ? 1 : 0;
        assertEquals(dirty, bitmap.dirtyGranules());
    }
}
