package dev.nbdref.bochs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Creates Growing images the way bximage does: its catalog and extent sizing, a version 2 header with a
 * zero timestamp, an all-unallocated catalog. Importing a raw image works like {@code bximage -func=convert}:
 * only non-zero sectors are stored, in extents appended in ascending virtual order, so the result matches
 * bximage's byte for byte apart from the timestamp bximage stamps on it.
 */
public final class BochsCreator {
    private BochsCreator() {}

    /** Creates an empty image of {@code size} bytes (a multiple of 512); fails if {@code out} exists. */
    public static Geometry create(Path out, long size) throws IOException {
        return create(out, size, null);
    }

    /**
     * Creates an image of {@code size} bytes holding {@code raw}'s content (null: empty). The raw file must not
     * be larger than the image; the rest of the disk reads as zeroes.
     */
    public static Geometry create(Path out, long size, Path raw) throws IOException {
        if (size % HeaderLayout.SECTOR != 0) {
            throw new IllegalArgumentException("image size " + size + " is not a multiple of 512");
        }
        Geometry geometry = Geometry.forDisk(size);
        long[] catalog = new long[(int) geometry.catalogEntries()];
        Arrays.fill(catalog, HeaderLayout.UNALLOCATED);
        try (FileChannel channel = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ImageIo.writeFully(channel, ByteBuffer.wrap(BochsHeader.growing(geometry).encode()), 0);
            if (raw != null) importRaw(raw, channel, geometry, catalog);
            writeCatalog(channel, catalog);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(out);
            throw e;
        }
        return geometry;
    }

    private static void importRaw(Path raw, FileChannel out, Geometry g, long[] catalog) throws IOException {
        try (FileChannel in = FileChannel.open(raw, StandardOpenOption.READ)) {
            long rawSize = in.size();
            if (rawSize > g.diskBytes()) {
                throw new IllegalArgumentException(raw + " has " + rawSize + " bytes, more than the "
                        + g.diskBytes() + "-byte image");
            }
            ExtentImage extent = new ExtentImage(g);
            long next = 0;
            for (int index = 0; (long) index * g.extentBytes() < rawSize; index++) {
                long offset = (long) index * g.extentBytes();
                if (extent.load(in, offset, Math.min(g.extentBytes(), rawSize - offset))) {
                    ImageIo.writeFully(out, extent.bytes(), g.extentStart(next));
                    catalog[index] = next++;
                }
            }
        }
    }

    private static void writeCatalog(FileChannel channel, long[] catalog) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(4 * catalog.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long entry : catalog) bytes.putInt((int) entry);
        ImageIo.writeFully(channel, bytes.flip(), HeaderLayout.SIZE);
    }

    /** One physical extent being assembled: bitmap blocks, then the data blocks. */
    private static final class ExtentImage {
        private static final byte[] ZERO_SECTOR = new byte[HeaderLayout.SECTOR];
        private final Geometry geometry;
        private final byte[] buffer;
        private final int dataStart;

        ExtentImage(Geometry geometry) {
            this.geometry = geometry;
            this.buffer = new byte[Math.toIntExact(geometry.strideBytes())];
            this.dataStart = (int) (geometry.bitmapBlocks() * HeaderLayout.SECTOR);
        }

        /** Reads {@code length} bytes of the raw image; true when some sector is non-zero (worth storing). */
        boolean load(FileChannel in, long offset, long length) throws IOException {
            Arrays.fill(buffer, (byte) 0);
            ImageIo.readFully(in, ByteBuffer.wrap(buffer, dataStart, (int) length), offset);
            boolean any = false;
            for (int s = 0; (long) s * HeaderLayout.SECTOR < length; s++) {
                int from = dataStart + s * HeaderLayout.SECTOR;
                if (Arrays.mismatch(buffer, from, from + HeaderLayout.SECTOR, ZERO_SECTOR, 0, HeaderLayout.SECTOR) >= 0) {
                    buffer[s / 8] |= (byte) (1 << (s % 8));
                    any = true;
                }
            }
            return any;
        }

        ByteBuffer bytes() {
            return ByteBuffer.wrap(buffer);
        }
    }
}
