package dev.nbdref.bochs;

/**
 * How to open an image.
 *
 * @param mode        strict or lenient validation
 * @param v1Heuristic for version 1 headers, read the disk size at offset 88 (the unpacked 64-bit layout)
 *                    when the packed offset 84 is plainly wrong; off by default, as qemu never does it
 */
public record ReadOptions(Mode mode, boolean v1Heuristic) {
    public static final ReadOptions STRICT = new ReadOptions(Mode.STRICT, false);
    public static final ReadOptions LENIENT = new ReadOptions(Mode.LENIENT, false);

    public boolean strict() {
        return mode == Mode.STRICT;
    }
}
