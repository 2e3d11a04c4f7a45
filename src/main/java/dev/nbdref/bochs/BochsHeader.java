package dev.nbdref.bochs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A parsed (or to-be-written) 512-byte redolog header.
 *
 * @param headerSize the header-size field (512 in every valid image)
 * @param timestamp  v2 only: the FAT date and time Bochs stores at offset 84; no influence on content
 * @param diskOffset where the disk size was read (88 for v2; 84 for v1, or 88 when the v1 heuristic chose it)
 */
public record BochsHeader(Version version, Subtype subtype, long headerSize, Geometry geometry, long timestamp,
                          int diskOffset) {

    /** The header bximage writes for a new Growing image: version 2, timestamp 0. */
    public static BochsHeader growing(Geometry geometry) {
        return new BochsHeader(Version.V2, Subtype.GROWING, HeaderLayout.SIZE, geometry, 0,
                HeaderLayout.DISK_V2_OFFSET);
    }

    /** The 512 bytes as Bochs lays them out: strings NUL-padded, the rest of the block zero. */
    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(HeaderLayout.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        putString(b, HeaderLayout.MAGIC_OFFSET, HeaderLayout.MAGIC);
        putString(b, HeaderLayout.TYPE_OFFSET, HeaderLayout.TYPE);
        putString(b, HeaderLayout.SUBTYPE_OFFSET, subtype.text());
        b.putInt(HeaderLayout.VERSION_OFFSET, version.value());
        b.putInt(HeaderLayout.HEADER_SIZE_OFFSET, (int) headerSize);
        b.putInt(HeaderLayout.CATALOG_OFFSET, (int) geometry.catalogEntries());
        b.putInt(HeaderLayout.BITMAP_OFFSET, (int) geometry.bitmapBytes());
        b.putInt(HeaderLayout.EXTENT_OFFSET, (int) geometry.extentBytes());
        if (version == Version.V2) b.putInt(HeaderLayout.TIMESTAMP_OFFSET, (int) timestamp);
        b.putLong(diskOffset, geometry.diskBytes());
        return b.array();
    }

    private static void putString(ByteBuffer b, int offset, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < bytes.length; i++) b.put(offset + i, bytes[i]);
    }
}
