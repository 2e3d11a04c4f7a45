package dev.nbdref.bochs;

/** Header versions: where the disk size lives is the only difference that matters to a reader. */
public enum Version {
    /** Bochs up to 2.2.6: the disk size follows the extent field directly (offset 84 when packed). */
    V1(0x00010000),
    /** Bochs 2.3 and later: a 32-bit timestamp at 84, the disk size at 88 on every platform. */
    V2(0x00020000);

    private final int value;

    Version(int value) {
        this.value = value;
    }

    public int value() {
        return value;
    }

    /** The version with this field value, or null. */
    static Version of(long field) {
        for (Version v : values()) {
            if (v.value == field) return v;
        }
        return null;
    }
}
