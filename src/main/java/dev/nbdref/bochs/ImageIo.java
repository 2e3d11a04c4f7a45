package dev.nbdref.bochs;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Positional I/O helpers: whole reads, zero fill past the end of the file, whole writes. */
final class ImageIo {
    private static final int ZERO_CHUNK = 1 << 16;
    private static final ByteBuffer ZEROES = ByteBuffer.allocateDirect(ZERO_CHUNK).asReadOnlyBuffer();

    private ImageIo() {}

    /** Fills {@code dst} from {@code position}; the file ending first is an error (it changed under us). */
    static void readFully(FileChannel channel, ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) throw new EOFException("file ends at " + pos + " while reading at " + position);
            pos += n;
        }
    }

    /** Fills {@code dst} from {@code position}; bytes past the end of the file read as zeroes (qemu's rule). */
    static void readOrZero(FileChannel channel, ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                putZeroes(dst, dst.remaining());
                return;
            }
            pos += n;
        }
    }

    static void writeFully(FileChannel channel, ByteBuffer src, long position) throws IOException {
        long pos = position;
        while (src.hasRemaining()) {
            pos += channel.write(src, pos);
        }
    }

    /** Writes {@code length} zero bytes at {@code position} without allocating more than one small buffer. */
    static void writeZeroes(FileChannel channel, long position, long length) throws IOException {
        long pos = position;
        long end = Math.addExact(position, length);
        while (pos < end) {
            ByteBuffer chunk = ZEROES.duplicate().limit((int) Math.min(ZERO_CHUNK, end - pos));
            while (chunk.hasRemaining()) pos += channel.write(chunk, pos);
        }
    }

    /** Puts {@code count} zero bytes into {@code dst}. */
    static void putZeroes(ByteBuffer dst, long count) {
        long left = count;
        while (left > 0) {
            int n = (int) Math.min(left, ZERO_CHUNK);
            dst.put(ZEROES.duplicate().limit(n));
            left -= n;
        }
    }
}
