package dev.nbdref.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.function.LongPredicate;

/** Deterministic disk contents and byte-level checks on files. */
final class TestData {

    static final int KIB = 1024;
    static final int MIB = 1024 * 1024;

    private TestData() {
    }

    /**
     * Writes {@code size} bytes of seeded pseudo-random data, leaving the MiBs for which {@code zeroMiB} holds
     * all zeros. Generating random bytes for hundreds of MiB is slow, so one random MiB is reused and every
     * 4 KiB block gets a unique 8-byte stamp (seed, MiB, block): a block written to the wrong place, or
     * twice, changes the checksum.
     */
    static void writePattern(Path file, long size, long seed, LongPredicate zeroMiB) throws IOException {
        byte[] base = new byte[MIB];
        new SplittableRandom(seed).nextBytes(base);
        ByteBuffer block = ByteBuffer.allocateDirect(MIB);
        ByteBuffer zeros = ByteBuffer.allocateDirect(MIB);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long pos = 0, mib = 0; pos < size; pos += MIB, mib++) {
                int length = (int) Math.min(MIB, size - pos);
                ByteBuffer source;
                if (zeroMiB.test(mib)) {
                    source = zeros.clear().limit(length);
                } else {
                    block.clear();
                    block.put(base);
                    for (int b = 0; b < MIB / (4 * KIB); b++) {
                        block.putLong(b * 4 * KIB, seed * 31 + (mib << 8 | b) * 0x9E3779B97F4A7C15L);
                    }
                    source = block.clear().limit(length);
                }
                while (source.hasRemaining()) {
                    out.write(source, pos + source.position());
                }
            }
        }
    }

    /** A file of {@code size} bytes with no data at all: ftruncate leaves one hole on file systems that have them. */
    static Path sparseFile(Path file, long size) throws IOException {
        try (RandomAccessFile raw = new RandomAccessFile(file.toFile(), "rw")) {
            raw.setLength(size);
        }
        return file;
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[MIB];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static byte[] read(Path file, long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            while (buffer.hasRemaining()) {
                if (in.read(buffer, offset + buffer.position()) < 0) {
                    fail(file + " ends before offset " + (offset + buffer.position()));
                }
            }
        }
        return buffer.array();
    }

    /** Fails unless {@code [offset, offset + length)} of the file holds only {@code value}. */
    static void assertFilled(Path file, long offset, int length, int value, String what) throws IOException {
        byte[] bytes = read(file, offset, length);
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] != (byte) value) {
                fail(String.format("%s: byte at offset %d is 0x%02x, expected 0x%02x (range %d+%d of %s)",
                        what, offset + i, bytes[i] & 0xff, value & 0xff, offset, length, file));
            }
        }
    }
}
