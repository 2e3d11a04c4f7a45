package dev.nbdref.block;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One fixed-size page of a {@link MemoryDevice}. Its bytes are created on the first write, so a page that is
 * allocated but only ever zeroed (NBD_CMD_FLAG_NO_HOLE) costs an object header, not a page of heap.
 *
 * <p>Every access holds the page's monitor: that gives two requests touching disjoint parts of one page a
 * happens-before edge, so a write that returned is visible to a later read on any thread, while requests
 * on different pages never contend.
 */
final class MemoryPage {
    private final int size;
    /** Null while the page reads as all zeroes. */
    private byte[] bytes;

    MemoryPage(int size) {
        this.size = size;
    }

    synchronized void read(int offset, ByteBuffer dst, int length) {
        if (bytes == null) {
            Zeroes.put(dst, length);
        } else {
            dst.put(bytes, offset, length);
        }
    }

    synchronized void write(int offset, ByteBuffer src, int length) {
        if (bytes == null) bytes = new byte[size];
        src.get(bytes, offset, length);
    }

    /** Zeroes part of the page; zeroing all of it also releases the bytes. */
    synchronized void zero(int offset, int length) {
        if (offset == 0 && length == size) {
            bytes = null;
        } else if (bytes != null) {
            Arrays.fill(bytes, offset, offset + length, (byte) 0);
        }
    }

    /** True when the page is known to read as all zeroes (it may also be all zero without knowing it). */
    synchronized boolean knownZero() {
        return bytes == null;
    }
}
