package dev.nbdref.bitmap;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A dirty bitmap held in memory: one bit per granule in an {@link AtomicLongArray}, so marks from many threads
 * need no lock (a mark is an atomic OR per 64-granule word, skipped entirely when the bits are set already).
 * Granule {@code g} is bit {@code g % 64} (least significant first) of word {@code g / 64}; bits past the last
 * granule are always zero. A 1 TiB device at 64 KiB granularity needs 16 Mi bits, 2 MiB.
 *
 * <p>Management changes (clear, merge, enable) are package-private: they go through {@link BitmapSet}, which
 * orders them against marks.
 */
public final class InMemoryBitmap implements DirtyBitmap {
    /** 2^31 granules (256 MiB of bits, a 1 TiB device at 512 B) keeps word indexes within an int. */
    public static final long MAX_GRANULES = 1L << 31;

    private final String name;
    private final long granularity;
    private final int shift;
    private final long deviceSize;
    private final long granules;
    private final AtomicLongArray words;
    private volatile boolean enabled;

    public InMemoryBitmap(String name, long granularity, long deviceSize, boolean enabled) {
        this.name = BitmapName.check(name);
        this.shift = Granularity.shift(granularity);
        this.granularity = granularity;
        if (deviceSize < 0) throw new IllegalArgumentException("device size must not be negative: " + deviceSize);
        this.deviceSize = deviceSize;
        this.granules = granulesFor(deviceSize, granularity);
        this.words = new AtomicLongArray(wordsFor(granules));
        this.enabled = enabled;
    }

    /** Granules needed to cover {@code deviceSize} bytes; refuses bitmaps too large to hold. */
    static long granulesFor(long deviceSize, long granularity) {
        long count = deviceSize / granularity + (deviceSize % granularity == 0 ? 0 : 1);
        if (count > MAX_GRANULES) {
            long needed = Long.highestOneBit(Math.max(1, (deviceSize - 1) / MAX_GRANULES)) << 1;
            throw new BitmapException(BitmapException.Kind.INVALID, "a bitmap of a " + deviceSize + "-byte device at"
                    + " granularity " + granularity + " would have " + count + " bits (at most " + MAX_GRANULES
                    + "); use a granularity of at least " + needed);
        }
        return count;
    }

    static int wordsFor(long granules) {
        return (int) ((granules + 63) >>> 6);
    }

    /** A bitmap with the given bits, e.g. as read from a store; the words must fit the device exactly. */
    static InMemoryBitmap restore(String name, long granularity, long deviceSize, boolean enabled, long[] bits) {
        InMemoryBitmap b = new InMemoryBitmap(name, granularity, deviceSize, enabled);
        if (bits.length != b.words.length()) {
            throw new IllegalArgumentException("bitmap " + name + " needs " + b.words.length() + " words, got "
                    + bits.length);
        }
        int last = bits.length - 1;
        if (last >= 0 && (bits[last] & ~b.lastWordMask()) != 0) {
            throw new IllegalArgumentException("bitmap " + name + " has bits set past its last granule");
        }
        for (int i = 0; i < bits.length; i++) b.words.set(i, bits[i]);
        return b;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long granularity() {
        return granularity;
    }

    @Override
    public boolean enabled() {
        return enabled;
    }

    public long deviceSize() {
        return deviceSize;
    }

    public long granules() {
        return granules;
    }

    @Override
    public void mark(long offset, long length) {
        if (enabled) setRange(offset, length);
    }

    @Override
    public List<DirtyRun> runs(long offset, long length, int maxRuns) {
        if (offset < 0 || length <= 0 || offset >= deviceSize || length > deviceSize - offset || maxRuns < 1) {
            throw new IllegalArgumentException("runs query [" + offset + ", +" + length + ") max " + maxRuns
                    + " outside a " + deviceSize + "-byte bitmap");
        }
        long g = offset >>> shift;
        long end = ((offset + length - 1) >>> shift) + 1; // exclusive: the granule holding the last byte, plus one
        List<DirtyRun> out = new ArrayList<>();
        long pos = offset;
        while (g < end && out.size() < maxRuns) {
            boolean dirty = isDirty(g);
            long next = nextDifferent(g, dirty, end);
            long stop = Math.min(deviceSize, next << shift);
            out.add(new DirtyRun(stop - pos, dirty));
            pos = stop;
            g = next;
        }
        return out;
    }

    /** Whether granule {@code g} is dirty. */
    public boolean isDirty(long g) {
        return (words.get((int) (g >>> 6)) & (1L << (g & 63))) != 0;
    }

    /** Granules marked dirty. */
    public long dirtyGranules() {
        long count = 0;
        for (int i = 0; i < words.length(); i++) count += Long.bitCount(words.get(i));
        return count;
    }

    /** Bytes covered by dirty granules (the last granule may be shorter than the granularity). */
    public long dirtyBytes() {
        long bytes = dirtyGranules() * granularity;
        long tailShortfall = granules * granularity - deviceSize;
        if (granules > 0 && isDirty(granules - 1)) bytes -= tailShortfall;
        return bytes;
    }

    /** The first granule from {@code g} whose state is not {@code dirty}, or {@code limit}; skips whole words. */
    private long nextDifferent(long g, boolean dirty, long limit) {
        int w = (int) (g >>> 6);
        long differing = (dirty ? ~words.get(w) : words.get(w)) & (-1L << (g & 63));
        while (differing == 0) {
            w++;
            if ((long) w << 6 >= limit) return limit;
            differing = dirty ? ~words.get(w) : words.get(w);
        }
        return Math.min(limit, ((long) w << 6) + Long.numberOfTrailingZeros(differing));
    }

    void setEnabled(boolean on) {
        enabled = on;
    }

    /** Marks regardless of {@link #enabled()}: for crash recovery and merges. */
    void setRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset > deviceSize || length > deviceSize - offset) {
            throw new IllegalArgumentException("mark [" + offset + ", +" + length + ") outside a " + deviceSize
                    + "-byte bitmap");
        }
        if (length == 0) return;
        long first = offset >>> shift;
        long last = (offset + length - 1) >>> shift;
        int firstWord = (int) (first >>> 6);
        int lastWord = (int) (last >>> 6);
        for (int w = firstWord; w <= lastWord; w++) {
            long mask = -1L;
            if (w == firstWord) mask &= -1L << (first & 63);
            if (w == lastWord) mask &= -1L >>> (63 - (last & 63));
            orWord(w, mask);
        }
    }

    /** Every granule dirty. */
    void setAll() {
        setRange(0, deviceSize);
    }

    void clear() {
        for (int w = 0; w < words.length(); w++) words.set(w, 0);
    }

    /** ORs {@code source} into this bitmap; both must have the same granularity and device size. */
    void mergeFrom(InMemoryBitmap source) {
        if (source.granularity != granularity || source.deviceSize != deviceSize) {
            throw new BitmapException(BitmapException.Kind.INCOMPATIBLE, "cannot merge " + source.name + " (granularity "
                    + source.granularity + ", " + source.deviceSize + " bytes) into " + name + " (granularity "
                    + granularity + ", " + deviceSize + " bytes): both must be the same");
        }
        for (int w = 0; w < words.length(); w++) {
            long bits = source.words.get(w);
            if (bits != 0) orWord(w, bits);
        }
    }

    /** A copy of the bits, for saving. */
    long[] snapshotWords() {
        long[] copy = new long[words.length()];
        for (int w = 0; w < copy.length; w++) copy[w] = words.get(w);
        return copy;
    }

    private void orWord(int w, long mask) {
        long current = words.get(w);
        // Already dirty is the common case for repeated writes: reading keeps the cache line shared.
        if ((current & mask) == mask) return;
        if (mask == -1L) {
            words.set(w, -1L); // same result as an atomic OR when every bit is set
        } else {
            words.getAndAccumulate(w, mask, (a, b) -> a | b);
        }
    }

    /** Bits of the last word that belong to real granules. */
    private long lastWordMask() {
        int used = (int) (granules & 63);
        return used == 0 ? -1L : (1L << used) - 1;
    }

    @Override
    public String toString() {
        return "InMemoryBitmap[" + name + ", granularity " + granularity + (enabled ? "" : ", disabled") + "]";
    }
}
