package dev.nbdref.block;

import java.io.Closeable;
import java.io.IOException;

/**
 * Hole-aware operations on one open file, which plain {@code FileChannel} cannot do. Each operation reports
 * "unsupported" as a value (never as an exception) so {@link FileDevice} can fall back, and an unsupported
 * operation has changed nothing, so the fallback may still honour "data untouched".
 */
interface SparseFileOps extends Closeable {

    /** Returned by {@link #nextData} when no data follows. */
    long NO_MORE_DATA = -1;

    /** True while punching holes is believed to work (it turns false when the file system refuses). */
    boolean canPunchHoles();

    /** True while zeroing a range in place is believed to work (it turns false when the file system refuses). */
    boolean canZeroRange();

    /** The first offset at or after {@code offset} that holds data, or {@link #NO_MORE_DATA}. */
    long nextData(long offset) throws IOException;

    /** The first offset at or after {@code offset} that is a hole; the file end counts as one. */
    long nextHole(long offset) throws IOException;

    /** Deallocates the range, which then reads as zeroes; false when unsupported. */
    boolean punchHole(long offset, long length) throws IOException;

    /** Makes the range read as zeroes while keeping it allocated, without writing data; false when unsupported. */
    boolean zeroRange(long offset, long length) throws IOException;

    /** Allocates space for the range (holes become zeroed allocated space, data is kept); false when unsupported. */
    boolean allocate(long offset, long length) throws IOException;
}
