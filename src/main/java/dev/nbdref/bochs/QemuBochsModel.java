package dev.nbdref.bochs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * What qemu's Bochs driver (block/bochs.c, qemu 7.2) makes of a file: the error {@code qemu-img convert -f bochs}
 * stops with, or the bytes it produces. It follows qemu's steps one sector at a time, with qemu's integer
 * widths (a 32-bit data offset, 64-bit wrap-around offsets) and its file layer's habit of reading zeroes past
 * the end of the file.
 *
 * <p>This is a model, deliberately simple and independent of {@link BochsImage}: the fixture generator uses it
 * to record qemu's behaviour in the manifest, and the interop suite checks it against the real qemu-img.
 */
public final class QemuBochsModel {
    /** Images the model will expand; fixtures are far smaller. */
    static final long MAX_MODELLED_SIZE = 256L << 20;
    private static final long SECTOR = 512;

    private final ByteBuffer file;

    private QemuBochsModel(byte[] file) {
        this.file = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * What qemu reads from {@code image}.
     *
     * @param accepted true when qemu opens and reads the image
     * @param message  qemu's error message when it does not (the part after the file name)
     * @param size     the virtual size qemu reports
     * @param sha256   of the raw bytes qemu reads
     */
    public record Outcome(boolean accepted, String message, long size, String sha256) {
        static Outcome error(String message) {
            return new Outcome(false, message, 0, null);
        }
    }

    public static Outcome evaluate(byte[] image) {
        return new QemuBochsModel(image).evaluate();
    }

    private Outcome evaluate() {
        if (!signatureMatches()) return Outcome.error("Image not in Bochs format");
        long version = u32(64);
        long disk = version == 0x00010000 ? u64(84) : u64(88);
        long totalSectors = Long.divideUnsigned(disk, SECTOR);
        long catalogSize = u32(72);
        if (catalogSize > 0x100000) return Outcome.error("Catalog size is too large");
        long header = u32(68);
        long[] catalog = new long[(int) catalogSize];
        for (int i = 0; i < catalogSize; i++) catalog[i] = u32Anywhere(header + 4L * i);
        long dataOffset = (header + catalogSize * 4) & 0xFFFFFFFFL;
        long bitmapBlocks = (1 + ((u32(76) - 1) & 0xFFFFFFFFL) / 512) & 0xFFFFFFFFL;
        long extentSize = u32(80);
        long extentBlocks = (1 + ((extentSize - 1) & 0xFFFFFFFFL) / 512) & 0xFFFFFFFFL;
        if (extentSize < SECTOR) return Outcome.error("Extent size must be at least 512");
        if (Long.bitCount(extentSize) != 1) return Outcome.error("Extent size " + extentSize + " is not a power of two");
        if (extentSize > 0x800000) return Outcome.error("Extent size " + extentSize + " is too large");
        long perExtent = extentSize / SECTOR;
        long needed = (totalSectors + perExtent - 1) / perExtent; // totalSectors < 2^55: no overflow
        if (catalogSize < needed) {
            return Outcome.error("Catalog size is too small for this disk size");
        }
        if (totalSectors * SECTOR > MAX_MODELLED_SIZE) {
            throw new IllegalStateException("the model only expands images up to " + MAX_MODELLED_SIZE + " bytes");
        }
        return read(totalSectors, catalog, dataOffset, bitmapBlocks, extentBlocks, extentSize);
    }

    /** The driver's read loop: per sector, catalog entry, one bitmap byte, then the sector. */
    private Outcome read(long sectors, long[] catalog, long dataOffset, long bitmapBlocks, long extentBlocks,
                         long extentSize) {
        MessageDigest sha = sha256();
        byte[] sector = new byte[(int) SECTOR];
        for (long s = 0; s < sectors; s++) {
            long offset = s * SECTOR;
            int index = (int) (offset / extentSize);
            long inExtent = (offset % extentSize) / SECTOR;
            java.util.Arrays.fill(sector, (byte) 0);
            if (catalog[index] != 0xFFFFFFFFL) {
                long bitmapOffset = dataOffset + SECTOR * catalog[index] * (extentBlocks + bitmapBlocks);
                long bitmapByte = bitmapOffset + inExtent / 8;
                if (bitmapByte < 0) return Outcome.error("error while reading at byte " + offset);
                if (((byteAnywhere(bitmapByte) >> (inExtent % 8)) & 1) != 0) {
                    long blockOffset = bitmapOffset + SECTOR * (bitmapBlocks + inExtent);
                    if (blockOffset < 0) return Outcome.error("error while reading at byte " + offset);
                    // qemu treats a block offset of 0 as "not allocated"
                    if (blockOffset > 0) copyAnywhere(blockOffset, sector);
                }
            }
            sha.update(sector);
        }
        return new Outcome(true, null, sectors * SECTOR, hex(sha.digest()));
    }

    /** strcmp of the three strings, and the two versions qemu knows. */
    private boolean signatureMatches() {
        return cString(0, "Bochs Virtual HD Image") && cString(32, "Redolog") && cString(48, "Growing")
                && (u32(64) == 0x00020000 || u32(64) == 0x00010000);
    }

    private boolean cString(int offset, String text) {
        byte[] want = text.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < want.length; i++) {
            if (byteAnywhere(offset + i) != want[i]) return false;
        }
        return byteAnywhere(offset + want.length) == 0;
    }

    private long u32(int offset) {
        return u32Anywhere(offset);
    }

    private long u64(int offset) {
        return u32Anywhere(offset) | u32Anywhere(offset + 4L) << 32;
    }

    private long u32Anywhere(long offset) {
        long v = 0;
        for (int i = 3; i >= 0; i--) v = v << 8 | (byteAnywhere(offset + i) & 0xff);
        return v;
    }

    /** A file byte, or zero past the end (qemu's file layer reads zeroes there). */
    private int byteAnywhere(long offset) {
        return offset >= 0 && offset < file.capacity() ? file.get((int) offset) : 0;
    }

    private void copyAnywhere(long offset, byte[] dst) {
        for (int i = 0; i < dst.length; i++) dst[i] = (byte) byteAnywhere(offset + i);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    static String hex(byte[] digest) {
        return java.util.HexFormat.of().formatHex(digest);
    }
}
