package dev.nbdref.block;

import java.util.Arrays;
import java.util.Random;

/** Test data whose bytes are never all zero, so a lost write or stray zeroing shows up. */
public final class Patterns {
    private Patterns() {}

    /** Bytes that look random, differ per seed and per offset, and are never zero (every byte has bit 0 set). */
    public static byte[] mixed(int length, int seed) {
        byte[] b = new byte[length];
        long x = 0x9E3779B97F4A7C15L * (seed + 1);
        for (int i = 0; i < length; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte) (x | 1);
        }
        return b;
    }

    static byte[] counting(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte) (1 + (i * 31 + seed) % 251);
        return bytes;
    }

    static byte[] filled(int length, int value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) (1 + value % 255));
        return bytes;
    }

    static byte[] random(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }
}
