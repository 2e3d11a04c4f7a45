package dev.nbdref.model;

import java.util.Arrays;
import java.util.BitSet;

/**
 * What an export should hold after a sequence of requests: its bytes, which bytes are undefined (trimmed, so
 * either the old data or zeroes), and which granules of a dirty bitmap have been marked.
 */
public final class ExportModel {
    private final int size;
    private final byte[] bytes;
    private final BitSet undefined;
    private final long granularity;
    private final BitSet dirty = new BitSet();

    public ExportModel(int size, long granularity) {
        this.size = size;
        this.bytes = new byte[size];
        this.undefined = new BitSet(size);
        this.granularity = granularity;
    }

    public int size() { return size; }

    public void write(long offset, byte[] data) {
        System.arraycopy(data, 0, bytes, (int) offset, data.length);
        undefined.clear((int) offset, (int) offset + data.length);
    }

    public void zero(long offset, long length) {
        Arrays.fill(bytes, (int) offset, (int) (offset + length), (byte) 0);
        undefined.clear((int) offset, (int) (offset + length));
    }

    /** After a trim the range reads as its old contents or as zeroes, byte by byte. */
    public void trim(long offset, long length) {
        undefined.set((int) offset, (int) (offset + length));
    }

    /** Marks the granules a change of [offset, offset + length) touches, as a dirty bitmap does. */
    public void markDirty(long offset, long length) {
        if (length <= 0) return;
        dirty.set((int) (offset / granularity), (int) ((offset + length - 1) / granularity) + 1);
    }

    /** A bitmap clear: every granule clean again. */
    public void clearDirty() { dirty.clear(); }

    /** Throws when {@code got}, read at {@code offset}, differs from the model where the model is defined. */
    public void checkRead(long offset, byte[] got, String where) {
        for (int i = 0; i < got.length; i++) {
            int at = (int) offset + i;
            if (undefined.get(at)) {
                if (got[i] != 0 && got[i] != bytes[at]) {
                    throw new AssertionError(where + ": trimmed byte at " + at + " reads " + got[i]
                            + ", neither its old value " + bytes[at] + " nor zero");
                }
            } else if (bytes[at] != got[i]) {
                throw new AssertionError(where + ": byte at " + at + " reads " + got[i] + ", the model says " + bytes[at]);
            }
        }
    }

    /** A range reported ZERO must read as zero wherever the model knows the contents. */
    public void checkZero(long start, long end, String where) {
        for (int at = (int) start; at < Math.min(end, size); at++) {
            if (!undefined.get(at) && bytes[at] != 0) {
                throw new AssertionError(where + " claims zeroes, but byte " + at + " is " + bytes[at]);
            }
        }
    }

    /** Every granule overlapping [start, end) must be dirty exactly when {@code reported} says so. */
    public void checkDirty(long start, long end, boolean reported, String where) {
        long last = (Math.min(end, size) - 1) / granularity;
        for (long g = start / granularity; g <= last; g++) {
            if (dirty.get((int) g) != reported) {
                throw new AssertionError(where + ": granule " + g + " [" + g * granularity + ", " + (g + 1) * granularity
                        + ") is reported " + (reported ? "dirty" : "clean") + ", the model says "
                        + (dirty.get((int) g) ? "dirty" : "clean"));
            }
        }
    }
}
