package dev.nbdref.bitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.bitmap.DirtyBitmap.DirtyRun;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Marking, runs, clear and merge of one in-memory bitmap, by example. */
class InMemoryBitmapTest {
    private static final long K64 = 64 * 1024;
    private static final long MIB = 1024 * 1024;

    @Test
    void aNewBitmapIsOneCleanRun() {
        InMemoryBitmap b = new InMemoryBitmap("b0", K64, 8 * MIB, true);
        assertEquals(List.of(new DirtyRun(8 * MIB, false)), b.runs(0, 8 * MIB, 100));
        assertEquals(128, b.granules());
        assertEquals(0, b.dirtyBytes());
    }

    @Test
    void aMarkDirtiesEveryGranuleItTouches() {
        InMemoryBitmap b = new InMemoryBitmap("b0", K64, 8 * MIB, true);
        b.mark(K64 - 1, 2); // straddles granules 0 and 1
        b.mark(MIB, K64); // exactly granule 16
        assertEquals(List.of(new DirtyRun(2 * K64, true), new DirtyRun(MIB - 2 * K64, false),
                new DirtyRun(K64, true), new DirtyRun(7 * MIB - K64, false)), b.runs(0, 8 * MIB, 100));
        assertEquals(3 * K64, b.dirtyBytes());
        assertEquals(3, b.dirtyGranules());
    }

    @Test
    void runsStartAtTheOffsetAndEndOnGranuleBoundaries() {
        InMemoryBitmap b = new InMemoryBitmap("b0", K64, MIB, true);
        b.mark(2 * K64, K64);
        // starts inside granule 1 (clean), then granule 2 dirty, and the query ending inside granule 3 is
        // rounded up to its end rather than splitting it
        assertEquals(List.of(new DirtyRun(K64 - 100, false), new DirtyRun(K64, true), new DirtyRun(K64, false)),
                b.runs(K64 + 100, 2 * K64, 100));
        // a query inside one dirty granule gets the rest of that granule
        assertEquals(List.of(new DirtyRun(K64 - 5, true)), b.runs(2 * K64 + 5, 1, 100));
    }

    @Test
    void maxRunsCutsTheAnswerShort() {
        InMemoryBitmap b = new InMemoryBitmap("b0", 512, 64 * 512, true);
        for (int g = 0; g < 64; g += 2) b.mark(g * 512L, 1);
        List<DirtyRun> runs = b.runs(0, 64 * 512, 5);
        assertEquals(5, runs.size());
        assertEquals(new DirtyRun(512, true), runs.get(0));
        assertEquals(new DirtyRun(512, false), runs.get(1));
    }

    @Test
    void theLastGranuleMayBeShort() {
        InMemoryBitmap b = new InMemoryBitmap("b0", K64, 3 * K64 + 1000, true);
        assertEquals(4, b.granules());
        b.mark(3 * K64 + 999, 1);
        assertEquals(List.of(new DirtyRun(3 * K64, false), new DirtyRun(1000, true)), b.runs(0, 3 * K64 + 1000, 10));
        assertEquals(1000, b.dirtyBytes());
    }

    @Test
    void runsCrossWordBoundariesAndSkipWholeWords() {
        InMemoryBitmap b = new InMemoryBitmap("b0", 512, 512L * 64 * 10, true);
        b.setRange(512L * 60, 512L * (64 * 3)); // granules 60..251: spans words 0..3
        assertEquals(List.of(new DirtyRun(512L * 60, false), new DirtyRun(512L * 192, true),
                new DirtyRun(512L * (640 - 252), false)), b.runs(0, 512L * 640, 10));
    }

    @Test
    void disabledBitmapsRecordNothingButKeepTheirBits() {
        InMemoryBitmap b = new InMemoryBitmap("b0", K64, MIB, true);
        b.mark(0, 1);
        b.setEnabled(false);
        b.mark(K64, 1);
        assertFalse(b.enabled());
        assertTrue(b.isDirty(0));
        assertFalse(b.isDirty(1));
        b.setEnabled(true);
        b.mark(K64, 1);
        assertTrue(b.isDirty(1));
    }

    @Test
    void clearAndMerge() {
        InMemoryBitmap a = new InMemoryBitmap("a", K64, MIB, true);
        InMemoryBitmap c = new InMemoryBitmap("c", K64, MIB, true);
        a.mark(0, K64);
        c.mark(3 * K64, K64);
        c.mergeFrom(a);
        assertEquals(List.of(new DirtyRun(K64, true), new DirtyRun(2 * K64, false), new DirtyRun(K64, true),
                new DirtyRun(MIB - 4 * K64, false)), c.runs(0, MIB, 10));
        assertTrue(a.isDirty(0));
        assertFalse(a.isDirty(3), "merge leaves its source alone");
        c.clear();
        assertEquals(List.of(new DirtyRun(MIB, false)), c.runs(0, MIB, 10));
    }

    @Test
    void mergeNeedsTheSameGranularityAndSize() {
        InMemoryBitmap a = new InMemoryBitmap("a", K64, MIB, true);
        BitmapException e = assertThrows(BitmapException.class,
                () -> a.mergeFrom(new InMemoryBitmap("b", 2 * K64, MIB, true)));
        assertEquals(BitmapException.Kind.INCOMPATIBLE, e.kind());
        assertThrows(BitmapException.class, () -> a.mergeFrom(new InMemoryBitmap("b", K64, 2 * MIB, true)));
    }

    @Test
    void granularityMustBeAPowerOfTwoFrom512To64MiB() {
        for (long bad : new long[] {0, 256, 1000, 65535, 128L << 20, -512}) {
            BitmapException e = assertThrows(BitmapException.class, () -> new InMemoryBitmap("b", bad, MIB, true));
            assertEquals(BitmapException.Kind.INVALID, e.kind());
        }
        assertEquals(512, new InMemoryBitmap("b", 512, MIB, true).granularity());
        assertEquals(64L << 20, new InMemoryBitmap("b", 64L << 20, MIB, true).granularity());
        assertEquals(65536, Granularity.parse("64K"));
        assertEquals(65536, Granularity.parse("64KiB"));
        assertEquals(1 << 20, Granularity.parse("1M"));
        assertEquals(512, Granularity.parse("512"));
        assertThrows(BitmapException.class, () -> Granularity.parse("lots"));
        assertThrows(BitmapException.class, () -> Granularity.parse("128M"));
    }

    @Test
    void namesAreCheckedAsQemuDoes() {
        assertThrows(BitmapException.class, () -> new InMemoryBitmap("", K64, MIB, true));
        assertThrows(BitmapException.class, () -> new InMemoryBitmap("a\nb", K64, MIB, true));
        assertThrows(BitmapException.class, () -> new InMemoryBitmap("x".repeat(1024), K64, MIB, true));
        assertEquals("x".repeat(1023), new InMemoryBitmap("x".repeat(1023), K64, MIB, true).name());
        assertEquals("backup:2024-01-01 Ünïcode", new InMemoryBitmap("backup:2024-01-01 Ünïcode", K64, MIB, true).name());
    }

    @Test
    void aTebibyteAtDefaultGranularityIsSmallAndFast() {
        long tib = 1L << 40;
        InMemoryBitmap b = new InMemoryBitmap("big", Granularity.DEFAULT, tib, true);
        assertEquals(16L << 20, b.granules());
        b.mark(tib / 2, 1);
        b.mark(tib - 1, 1);
        long start = System.nanoTime();
        List<DirtyRun> runs = b.runs(0, tib, 100);
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(List.of(new DirtyRun(tib / 2, false), new DirtyRun(K64, true),
                new DirtyRun(tib / 2 - 2 * K64, false), new DirtyRun(K64, true)), runs);
        assertTrue(ms < 2000, "scanning 2 MiB of bits took " + ms + " ms");
        b.setAll();
        assertEquals(List.of(new DirtyRun(tib, true)), b.runs(0, tib, 100));
    }

    @Test
    void tooManyGranulesIsRefusedWithAHint() {
        BitmapException e = assertThrows(BitmapException.class,
                () -> new InMemoryBitmap("b", 512, (1L << 40) + 1, true));
        assertEquals(BitmapException.Kind.INVALID, e.kind());
        assertTrue(e.getMessage().contains("at least 1024"), e.getMessage());
    }

    @Test
    void outOfRangeQueriesAreCallerBugs() {
        InMemoryBitmap b = new InMemoryBitmap("b", K64, MIB, true);
        assertThrows(IllegalArgumentException.class, () -> b.runs(MIB, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> b.runs(0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> b.runs(0, MIB + 1, 1));
        assertThrows(IllegalArgumentException.class, () -> b.runs(0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> b.mark(MIB - 1, 2));
        b.mark(MIB, 0); // an empty mark at the end is fine
        assertEquals(0, b.dirtyGranules());
    }

    @Test
    void restoreRefusesBitsPastTheEnd() {
        assertThrows(IllegalArgumentException.class,
                () -> InMemoryBitmap.restore("b", K64, 3 * K64, true, new long[] {0b1000}));
        InMemoryBitmap ok = InMemoryBitmap.restore("b", K64, 3 * K64, true, new long[] {0b101});
        assertEquals(2 * K64, ok.dirtyBytes());
    }

    @Test
    void bitmapSpecsFromTheCommandLine() {
        assertEquals(new BitmapSpec("d", "b0", java.util.OptionalLong.of(65536)), BitmapSpec.parse("d:b0:65536"));
        assertEquals(new BitmapSpec("d", "b0", java.util.OptionalLong.of(65536)), BitmapSpec.parse("d:b0:64K"));
        assertEquals(new BitmapSpec("d", "b0", java.util.OptionalLong.empty()), BitmapSpec.parse("d:b0"));
        assertEquals(new BitmapSpec("d", "daily:mon", java.util.OptionalLong.empty()), BitmapSpec.parse("d:daily:mon"));
        assertEquals(new BitmapSpec("", "b0", java.util.OptionalLong.empty()), BitmapSpec.parse(":b0"));
        assertThrows(BitmapException.class, () -> BitmapSpec.parse("d"));
        assertThrows(BitmapException.class, () -> BitmapSpec.parse("d:"));
        assertThrows(BitmapException.class, () -> BitmapSpec.parse("d:b0:1000"));
    }
}
