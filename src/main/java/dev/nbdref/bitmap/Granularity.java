package dev.nbdref.bitmap;

import java.util.Locale;

/** Bytes per bitmap bit: a power of two from 512 B to 64 MiB, as qemu allows. */
public final class Granularity {
    public static final long MIN = 512;
    public static final long MAX = 64L << 20;
    public static final long DEFAULT = 64L << 10;

    private Granularity() {}

    /** Returns {@code granularity} when valid, otherwise throws a {@link BitmapException} of kind INVALID. */
    public static long check(long granularity) {
        if (granularity < MIN || granularity > MAX || Long.bitCount(granularity) != 1) {
            throw new BitmapException(BitmapException.Kind.INVALID, "granularity must be a power of two from 512"
                    + " to 67108864 (64M), not " + granularity);
        }
        return granularity;
    }

    /**
     * Parses a granularity: plain bytes ({@code 65536}) or with a binary unit ({@code 64K}, {@code 64KiB},
     * {@code 1M}, {@code 512B}); the result is checked as by {@link #check}.
     */
    public static long parse(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        if (t.endsWith("IB")) t = t.substring(0, t.length() - 2);
        else if (t.endsWith("B")) t = t.substring(0, t.length() - 1);
        int shift = 0;
        if (t.endsWith("K")) shift = 10;
        else if (t.endsWith("M")) shift = 20;
        String digits = shift == 0 ? t : t.substring(0, t.length() - 1);
        if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(Character::isDigit)) {
            throw new BitmapException(BitmapException.Kind.INVALID,
                    "granularity \"" + text + "\" is not a size such as 65536, 64K or 1M");
        }
        return check(Long.parseLong(digits) << shift);
    }

    /** log2 of a valid granularity. */
    static int shift(long granularity) {
        return Long.numberOfTrailingZeros(check(granularity));
    }
}
