package dev.nbdref.block;

import java.util.Arrays;
import java.util.Random;

/** Test data whose bytes are never all zero, so a lost write or stray zeroing shows up. */
final class Patterns {
    private Patterns() {}

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
