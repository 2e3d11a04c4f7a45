package dev.nbdref.bochs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Validates the 512-byte header, rule by rule, in qemu's order (signature, version, catalog limit, extent,
 * catalog coverage) with the rules qemu lacks slotted in where they first can be checked, so the same bad
 * image fails for the same reason in both. Nothing is allocated from header values here.
 */
final class HeaderParser {
    private final ByteBuffer bytes;
    private final long fileSize;
    private final ReadOptions options;
    private final List<String> notes = new ArrayList<>();

    private HeaderParser(ByteBuffer bytes, long fileSize, ReadOptions options) {
        this.bytes = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.fileSize = fileSize;
        this.options = options;
    }

    /** Parses the first bytes of a file of {@code fileSize} bytes ({@code bytes} holds min(512, fileSize) of them). */
    static ParsedHeader parse(ByteBuffer bytes, long fileSize, ReadOptions options) throws BochsFormatException {
        return new HeaderParser(bytes, fileSize, options).parse();
    }

    private ParsedHeader parse() throws BochsFormatException {
        if (fileSize < HeaderLayout.SIZE || bytes.remaining() < HeaderLayout.SIZE) {
            throw BochsRule.B01.error("the file has " + fileSize + " bytes; a Bochs header alone needs 512");
        }
        requireString(HeaderLayout.MAGIC_OFFSET, HeaderLayout.MAGIC_LENGTH, HeaderLayout.MAGIC, BochsRule.B02);
        requireString(HeaderLayout.TYPE_OFFSET, HeaderLayout.TYPE_LENGTH, HeaderLayout.TYPE, BochsRule.B03);
        Subtype subtype = subtype();
        Version version = version();
        if (options.strict()) requireZeroPadding(subtype);
        long headerSize = u32(HeaderLayout.HEADER_SIZE_OFFSET);
        if (headerSize != HeaderLayout.SIZE) {
            throw BochsRule.B08.error("header size field is " + headerSize + ", not 512");
        }
        long catalog = u32(HeaderLayout.CATALOG_OFFSET);
        if (catalog > HeaderLayout.MAX_CATALOG) {
            throw BochsRule.B09.error("catalog of " + catalog + " entries is too large (at most "
                    + HeaderLayout.MAX_CATALOG + ")");
        }
        long extent = extent();
        int diskOffset = diskOffset(version, catalog, extent);
        long disk = bytes.getLong(diskOffset);
        if (disk < 0) {
            throw BochsRule.B13.error("disk size " + Long.toUnsignedString(disk) + " is 2^63 bytes or more");
        }
        requireCatalogCovers(catalog, extent, disk);
        long bitmap = bitmap(extent);
        checkDiskRounding(disk);
        long timestamp = version == Version.V2 ? u32(HeaderLayout.TIMESTAMP_OFFSET) : 0;
        Geometry geometry = new Geometry(catalog, bitmap, extent, disk);
        return new ParsedHeader(new BochsHeader(version, subtype, headerSize, geometry, timestamp, diskOffset), notes);
    }

    /** Compares like C strcmp: the expected characters, then a NUL; anything after that NUL is B06's business. */
    private void requireString(int offset, int length, String expected, BochsRule rule) throws BochsFormatException {
        if (!fieldEquals(offset, expected)) {
            throw rule.error("expected \"" + expected + "\" at offset " + offset + ", found \""
                    + printable(offset, length) + "\"");
        }
    }

    private Subtype subtype() throws BochsFormatException {
        for (Subtype s : Subtype.values()) {
            if (fieldEquals(HeaderLayout.SUBTYPE_OFFSET, s.text())) return s;
        }
        throw BochsRule.B04.error("unknown subtype \"" + printable(HeaderLayout.SUBTYPE_OFFSET,
                HeaderLayout.SUBTYPE_LENGTH) + "\" (known: Growing, Undoable, Volatile)");
    }

    private Version version() throws BochsFormatException {
        long field = u32(HeaderLayout.VERSION_OFFSET);
        Version version = Version.of(field);
        if (version == null) {
            throw BochsRule.B07.error(String.format("version 0x%08x is neither 0x00010000 nor 0x00020000", field));
        }
        return version;
    }

    /** Strict mode: what follows each string's terminator is zero, as Bochs writes it. */
    private void requireZeroPadding(Subtype subtype) throws BochsFormatException {
        requirePadding(HeaderLayout.MAGIC_OFFSET, HeaderLayout.MAGIC_LENGTH, HeaderLayout.MAGIC.length());
        requirePadding(HeaderLayout.TYPE_OFFSET, HeaderLayout.TYPE_LENGTH, HeaderLayout.TYPE.length());
        requirePadding(HeaderLayout.SUBTYPE_OFFSET, HeaderLayout.SUBTYPE_LENGTH, subtype.text().length());
    }

    private void requirePadding(int offset, int length, int textLength) throws BochsFormatException {
        for (int i = textLength; i < length; i++) {
            if (bytes.get(offset + i) != 0) {
                throw BochsRule.B06.error(String.format("byte %d of the string field at offset %d is 0x%02x,"
                        + " expected zero padding", i, offset, bytes.get(offset + i) & 0xff));
            }
        }
    }

    private long extent() throws BochsFormatException {
        long extent = u32(HeaderLayout.EXTENT_OFFSET);
        if (extent < HeaderLayout.SECTOR) {
            throw BochsRule.B10.error("extent size " + extent + " is smaller than one 512-byte sector");
        }
        if (Long.bitCount(extent) != 1) {
            throw BochsRule.B11.error("extent size " + extent + " is not a power of two");
        }
        if (extent > HeaderLayout.MAX_EXTENT) {
            throw BochsRule.B12.error("extent size " + extent + " is too large (at most " + HeaderLayout.MAX_EXTENT + ")");
        }
        return extent;
    }

    /** B24: v1 keeps its disk size at 84; the opt-in heuristic recognises the 64-bit unpacked layout (88). */
    private int diskOffset(Version version, long catalog, long extent) {
        if (version == Version.V2) return HeaderLayout.DISK_V2_OFFSET;
        if (!options.v1Heuristic()) return HeaderLayout.DISK_V1_OFFSET;
        long packed = bytes.getLong(HeaderLayout.DISK_V1_OFFSET);
        long unpacked = bytes.getLong(HeaderLayout.DISK_V2_OFFSET);
        boolean gapIsZero = bytes.getInt(HeaderLayout.DISK_V1_OFFSET) == 0;
        if (gapIsZero && unpacked > 0 && covers(catalog, extent, unpacked) && !covers(catalog, extent, packed)) {
            notes.add("version 1 disk size read at offset 88 (unpacked layout), as offset 84 cannot be right (B24)");
            return HeaderLayout.DISK_V2_OFFSET;
        }
        return HeaderLayout.DISK_V1_OFFSET;
    }

    private void requireCatalogCovers(long catalog, long extent, long disk) throws BochsFormatException {
        if (!covers(catalog, extent, disk)) {
            throw BochsRule.B14.error("catalog of " + catalog + " entries of " + extent
                    + " bytes cannot cover a disk of " + disk + " bytes (needs " + entriesNeeded(extent, disk) + ")");
        }
    }

    /** The disk's whole sectors, spread over extents, fit the catalog (qemu's test, in unsigned 64-bit). */
    private static boolean covers(long catalog, long extent, long disk) {
        return disk >= 0 && catalog >= entriesNeeded(extent, disk);
    }

    private static long entriesNeeded(long extent, long disk) {
        long sectors = disk / HeaderLayout.SECTOR;
        long perExtent = extent / HeaderLayout.SECTOR;
        return sectors / perExtent + (sectors % perExtent == 0 ? 0 : 1);
    }

    /** B15 keeps every bit lookup inside the declared bitmap; B16 (strict) wants Bochs' own sizing. */
    private long bitmap(long extent) throws BochsFormatException {
        long bitmap = u32(HeaderLayout.BITMAP_OFFSET);
        long sectors = extent / HeaderLayout.SECTOR;
        if (bitmap == 0 || bitmap * 8 < sectors) {
            throw BochsRule.B15.error("bitmap of " + bitmap + " bytes cannot flag the " + sectors
                    + " sectors of a " + extent + "-byte extent");
        }
        if (bitmap != extent / 4096) {
            if (options.strict()) {
                throw BochsRule.B16.error("bitmap of " + bitmap + " bytes for " + extent
                        + "-byte extents; Bochs writes " + extent / 4096);
            }
            notes.add("bitmap of " + bitmap + " bytes is not the " + extent / 4096
                    + " Bochs writes for this extent size (B16)");
        }
        return bitmap;
    }

    private void checkDiskRounding(long disk) throws BochsFormatException {
        long rest = disk % HeaderLayout.SECTOR;
        if (rest == 0) return;
        if (options.strict()) {
            throw BochsRule.B17.error("disk size " + disk + " is not a multiple of 512");
        }
        notes.add("disk size " + disk + " is not a multiple of 512: the last " + rest
                + " bytes are not readable (B17)");
    }

    private boolean fieldEquals(int offset, String expected) {
        byte[] want = expected.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < want.length; i++) {
            if (bytes.get(offset + i) != want[i]) return false;
        }
        return bytes.get(offset + want.length) == 0;
    }

    private long u32(int offset) {
        return Integer.toUnsignedLong(bytes.getInt(offset));
    }

    /** The field up to its first NUL, with anything unprintable escaped, for error messages. */
    private String printable(int offset, int length) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int c = bytes.get(offset + i) & 0xff;
            if (c == 0) break;
            s.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? String.valueOf((char) c)
                    : String.format("\\x%02x", c));
        }
        return s.toString();
    }
}
