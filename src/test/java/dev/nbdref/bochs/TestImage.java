package dev.nbdref.bochs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds image bytes by hand for tests: a header from a geometry, a catalog, physical extents laid out after
 * it, and pokes for single fields. Independent of the writer, so reader tests do not trust it.
 */
final class TestImage {
    final Geometry geometry;
    final long[] catalog;
    final List<byte[]> extents = new ArrayList<>();
    Version version = Version.V2;
    Subtype subtype = Subtype.GROWING;
    int diskOffset = HeaderLayout.DISK_V2_OFFSET;

    TestImage(Geometry geometry) {
        this.geometry = geometry;
        this.catalog = new long[(int) geometry.catalogEntries()];
        Arrays.fill(catalog, HeaderLayout.UNALLOCATED);
    }

    /** The geometry bximage gives {@code disk} bytes. */
    static TestImage bximage(long disk) {
        return new TestImage(Geometry.forDisk(disk));
    }

    /** Allocates virtual extent {@code index} at the next physical extent with {@code sectors} set to {@code fill}. */
    TestImage allocate(int index, int fill, int... sectors) {
        byte[] extent = new byte[(int) geometry.strideBytes()];
        int data = (int) (geometry.bitmapBlocks() * 512);
        for (int s : sectors) {
            extent[s / 8] |= (byte) (1 << (s % 8));
            Arrays.fill(extent, data + s * 512, data + (s + 1) * 512, (byte) fill);
        }
        catalog[index] = extents.size();
        extents.add(extent);
        return this;
    }

    byte[] bytes() {
        BochsHeader header = new BochsHeader(version, subtype, 512, geometry, 0, diskOffset);
        ByteBuffer out = ByteBuffer.allocate((int) (geometry.dataOffset() + extents.size() * geometry.strideBytes()))
                .order(ByteOrder.LITTLE_ENDIAN);
        out.put(header.encode());
        for (long entry : catalog) out.putInt((int) entry);
        for (byte[] extent : extents) out.put(extent);
        return out.array();
    }

    Path write(Path file) throws IOException {
        Files.write(file, bytes());
        return file;
    }

    static byte[] poke32(byte[] bytes, int offset, long value) {
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, (int) value);
        return bytes;
    }

    static byte[] poke64(byte[] bytes, int offset, long value) {
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(offset, value);
        return bytes;
    }
}
