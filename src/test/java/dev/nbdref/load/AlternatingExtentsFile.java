package dev.nbdref.load;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A sparse raw file made of {@code extents} alternating runs of {@link #RUN} bytes: data (a non-zero pattern), then
 * a hole, then data again, so base:allocation over it has exactly that many extents. Half of it is really written:
 * 2^20 extents take 2 GiB, so the file goes to /dev/shm (tmpfs: no disk I/O, 4 KiB pages, and SEEK_DATA/SEEK_HOLE
 * work) when that is available.
 */
final class AlternatingExtentsFile {
    /** One run: a page, the smallest extent tmpfs and ext4 can have. */
    static final int RUN = 4096;

    private AlternatingExtentsFile() {}

    /** Creates it in {@code dir}; the size is {@code extents * RUN}. */
    static Path create(Path dir, int extents) throws IOException {
        Path file = dir.resolve("alternating-" + extents + ".raw");
        byte[] page = new byte[RUN];
        Arrays.fill(page, (byte) 0xA5);
        ByteBuffer data = ByteBuffer.allocateDirect(RUN);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength((long) extents * RUN); // sparse: nothing allocated yet
            FileChannel ch = raf.getChannel();
            for (long i = 0; i < extents; i += 2) {
                data.clear().put(page).flip();
                while (data.hasRemaining()) ch.write(data, i * RUN + data.position());
            }
        }
        return file;
    }

    /** Where a file this large is best made: /dev/shm when it is a writable directory, else java.io.tmpdir. */
    static Path scratchDirectory() throws IOException {
        Path shm = Path.of("/dev/shm");
        Path parent = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
        return Files.createTempDirectory(parent, "nbdref-extents");
    }

    /** base:allocation flags the run at {@code offset} must have: 0 for data, HOLE|ZERO for a hole. */
    static int expectedFlags(long offset) { return (offset / RUN) % 2 == 0 ? 0 : 3; }
}
