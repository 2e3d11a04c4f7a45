package dev.nbdref.block;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DataRunCacheTest {

    @Test
    void answersInsideARememberedRunOnly() {
        DataRunCache c = new DataRunCache();
        c.remember(4096, 65536, c.generation());
        assertEquals(65536, c.dataEnd(4096));
        assertEquals(65536, c.dataEnd(65535));
        assertEquals(-1, c.dataEnd(4095));
        assertEquals(-1, c.dataEnd(65536));
    }

    @Test
    void forgetDropsEverything() {
        DataRunCache c = new DataRunCache();
        c.remember(0, 100, c.generation());
        c.forget();
        assertEquals(-1, c.dataEnd(50));
    }

    /** A lookup that asked the kernel before a trim must not put its older answer back after the trim. */
    @Test
    void anAnswerFromBeforeADeallocationIsNotKept() {
        DataRunCache c = new DataRunCache();
        long before = c.generation();
        c.forget();
        c.remember(0, 100, before);
        assertEquals(-1, c.dataEnd(50));
        c.remember(0, 100, c.generation());
        assertEquals(100, c.dataEnd(50));
    }

    @Test
    void holdsAtMostItsSlotsNewestKept() {
        DataRunCache c = new DataRunCache();
        int runs = DataRunCache.SLOTS + 5;
        for (int i = 0; i < runs; i++) c.remember(i * 1000L, i * 1000L + 10, c.generation());
        int kept = 0;
        for (int i = 0; i < runs; i++) if (c.dataEnd(i * 1000L) > 0) kept++;
        assertEquals(DataRunCache.SLOTS, kept);
        assertEquals((runs - 1) * 1000L + 10, c.dataEnd((runs - 1) * 1000L));
    }

    @Test
    void emptyRunsAreIgnored() {
        DataRunCache c = new DataRunCache();
        c.remember(10, 10, c.generation());
        assertEquals(-1, c.dataEnd(10));
    }
}
