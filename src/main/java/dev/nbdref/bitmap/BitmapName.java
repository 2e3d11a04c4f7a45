package dev.nbdref.bitmap;

import java.nio.charset.StandardCharsets;

/**
 * Rules for bitmap names. qemu limits names to 1023 bytes; control characters are refused because names
 * end up in log lines, JSON, and the one-name-per-line output of the CLI.
 */
public final class BitmapName {
    public static final int MAX_BYTES = 1023;

    private BitmapName() {}

    /** Returns {@code name} when valid, otherwise throws a {@link BitmapException} of kind INVALID. */
    public static String check(String name) {
        if (name == null || name.isEmpty()) {
            throw new BitmapException(BitmapException.Kind.INVALID, "a bitmap name must not be empty");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw new BitmapException(BitmapException.Kind.INVALID,
                    "bitmap name longer than " + MAX_BYTES + " bytes: " + name.substring(0, 40) + "...");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new BitmapException(BitmapException.Kind.INVALID,
                        "bitmap name contains control character U+" + String.format("%04X", (int) c));
            }
        }
        return name;
    }
}
