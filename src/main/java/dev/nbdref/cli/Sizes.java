package dev.nbdref.cli;

import java.util.Locale;

/** Parses sizes as people write them: 1048576, 512K, 64M, 1G, 2T (binary units; "MiB" and "MB" alike). */
final class Sizes {
    private Sizes() {}

    static long parse(String text) {
        String s = text.trim().toUpperCase(Locale.ROOT).replaceAll("I?B$", "");
        if (s.isEmpty()) throw new IllegalArgumentException("empty size");
        int shift = switch (s.charAt(s.length() - 1)) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            case 'P' -> 50;
            default -> 0;
        };
        String digits = shift == 0 ? s : s.substring(0, s.length() - 1);
        long value;
        try {
            value = Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a size: \"" + text + "\" (examples: 1048576, 64M, 1G)");
        }
        if (value < 0 || (shift > 0 && value > (Long.MAX_VALUE >> shift))) {
            throw new IllegalArgumentException("size out of range: " + text);
        }
        return value << shift;
    }
}
