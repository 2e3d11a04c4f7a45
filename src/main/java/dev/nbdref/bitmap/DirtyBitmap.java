package dev.nbdref.bitmap;

import java.util.List;

/**
 * A named record of which granules of a device changed since it was last cleared (qemu's dirty bitmaps,
 * exposed over NBD as {@code qemu:dirty-bitmap:NAME}). Thread-safe: marks come from every connection.
 */
public interface DirtyBitmap {

    String name();

    /** Bytes per bit: a power of two from 512 B to 64 MiB. */
    long granularity();

    /** A disabled bitmap keeps its bits but records no new writes. */
    boolean enabled();

    /** Marks every granule that overlaps [offset, offset + length) when enabled. */
    void mark(long offset, long length);

    /**
     * Consecutive runs from {@code offset}: never empty, at most {@code maxRuns}, the first starting exactly at
     * {@code offset}; every run ends on a granule boundary or at the device end (only the first may start
     * inside a granule), so no granule is split between runs.
     */
    List<DirtyRun> runs(long offset, long length, int maxRuns);

    /** A run of granules that are all dirty or all clean. */
    record DirtyRun(long length, boolean dirty) {
        public DirtyRun {
            if (length <= 0) throw new IllegalArgumentException("run length must be positive: " + length);
        }
    }
}
