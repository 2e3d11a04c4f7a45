package dev.nbdref.block;

/**
 * A run of bytes with one allocation state, in the terms of base:allocation.
 *
 * @param length bytes in the run, at least 1
 * @param hole   not allocated: a write may need new space
 * @param zero   reads as zeroes
 */
public record Extent(long length, boolean hole, boolean zero) {
    public Extent {
        if (length <= 0) throw new IllegalArgumentException("extent length must be positive: " + length);
    }

    public static Extent data(long length) { return new Extent(length, false, false); }

    public static Extent hole(long length) { return new Extent(length, true, true); }

    public static Extent allocatedZero(long length) { return new Extent(length, false, true); }

    /** True when the two runs have the same state and can be merged. */
    public boolean sameState(Extent other) { return hole == other.hole && zero == other.zero; }
}
