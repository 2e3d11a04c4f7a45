package dev.nbdref.server;

import dev.nbdref.spec.Limits;

/**
 * The three block-size values of the spec's "Size constraints" section.
 *
 * @param minimum        smallest addressable unit and alignment (power of two, at most 64 KiB)
 * @param preferred      efficient I/O size (power of two, at least max(minimum, 512))
 * @param maximumPayload largest WRITE (or simple-reply READ) payload accepted
 */
public record SizeConstraints(int minimum, int preferred, int maximumPayload) {

    public SizeConstraints {
        if (Integer.bitCount(minimum) != 1 || minimum > Limits.MAX_MIN_BLOCK) {
            throw new IllegalArgumentException("minimum block must be a power of two up to 65536: " + minimum);
        }
        if (Integer.bitCount(preferred) != 1 || preferred < Math.max(minimum, 512)) {
            throw new IllegalArgumentException("preferred block must be a power of two >= max(minimum, 512): "
                    + preferred);
        }
        if (Integer.compareUnsigned(maximumPayload, preferred) < 0) {
            throw new IllegalArgumentException("maximum payload must be at least the preferred block size");
        }
    }

    public static SizeConstraints defaults() {
        return new SizeConstraints(Limits.DEFAULT_MIN_BLOCK, Limits.DEFAULT_PREFERRED_BLOCK, Limits.DEFAULT_MAX_PAYLOAD);
    }

    /** The constraints for a given minimum block, the rest as close to the defaults as allowed. */
    public static SizeConstraints withMinimum(int minimum) {
        return new SizeConstraints(minimum, Math.max(minimum, Limits.DEFAULT_PREFERRED_BLOCK), Limits.DEFAULT_MAX_PAYLOAD);
    }

    /** True when a client that never asked would assume exactly these values. */
    public boolean isDefault() { return equals(defaults()); }

    public boolean isAligned(long value) { return (value & (minimum - 1)) == 0; }
}
