package dev.nbdref.block;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A block device: bytes at offsets, nothing about NBD. Every offset and length it receives has already
 * been checked against {@link #size()} by the caller; implementations still reject out-of-range calls
 * with {@link IllegalArgumentException} so a caller bug never turns into corrupted data.
 *
 * <p>Implementations are safe for concurrent use by many connections: requests to disjoint ranges may
 * run in parallel, and a write that returned is visible to every later read on any thread.
 */
public interface BlockDevice extends Closeable {

    /** Size in bytes; fixed for the life of the device. */
    long size();

    /** What this device can do; the server derives the transmission flags from it. */
    DeviceCapabilities capabilities();

    /** Fills {@code dst} from its position to its limit with the bytes at {@code offset}. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /** Writes {@code src} from its position to its limit at {@code offset}; with {@code fua}, durable before return. */
    void write(long offset, ByteBuffer src, boolean fua) throws IOException;

    /**
     * Makes the range read as zeroes.
     *
     * @param mayTrim  the device may deallocate the range (false: NBD_CMD_FLAG_NO_HOLE, keep it allocated)
     * @param fastOnly fail with {@link FastZeroUnsupportedException}, leaving the data untouched, unless the
     *                 zeroing is faster than writing zeroes would be
     * @param fua      durable before return
     */
    void writeZeroes(long offset, long length, boolean mayTrim, boolean fastOnly, boolean fua) throws IOException;

    /** Hints that the range is no longer needed; it may then read as zeroes or keep its data. */
    void trim(long offset, long length, boolean fua) throws IOException;

    /** Makes every write that has returned durable. */
    void flush() throws IOException;

    /** Hints that the range will be read soon. */
    default void cache(long offset, long length) throws IOException {}

    /**
     * Describes allocation from {@code offset}: consecutive extents, the first starting at {@code offset},
     * covering at least one byte and at most up to the end of the device. The list may stop before
     * {@code offset + length} (the caller asks again) and may run past it; it holds at most
     * {@code maxExtents} entries and never an empty extent.
     */
    List<Extent> extents(long offset, long length, int maxExtents) throws IOException;
}
