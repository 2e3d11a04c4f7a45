package dev.nbdref.bochs;

/** Where each header field lives, and the format's fixed numbers (all integers little-endian). */
public final class HeaderLayout {
    private HeaderLayout() {}

    public static final int SIZE = 512;
    public static final int SECTOR = 512;

    public static final String MAGIC = "Bochs Virtual HD Image";
    public static final String TYPE = "Redolog";

    public static final int MAGIC_OFFSET = 0;
    public static final int MAGIC_LENGTH = 32;
    public static final int TYPE_OFFSET = 32;
    public static final int TYPE_LENGTH = 16;
    public static final int SUBTYPE_OFFSET = 48;
    public static final int SUBTYPE_LENGTH = 16;
    public static final int VERSION_OFFSET = 64;
    public static final int HEADER_SIZE_OFFSET = 68;
    public static final int CATALOG_OFFSET = 72;
    public static final int BITMAP_OFFSET = 76;
    public static final int EXTENT_OFFSET = 80;
    /** v2: the timestamp; v1 (packed, as documented and as qemu reads it): the disk size. */
    public static final int TIMESTAMP_OFFSET = 84;
    public static final int DISK_V1_OFFSET = 84;
    /** v2 everywhere, and v1 as 64-bit Bochs builds lay out their unpacked struct. */
    public static final int DISK_V2_OFFSET = 88;

    /** qemu's limit (and bximage's largest): 1 Mi entries, 4 MiB of catalog. */
    public static final long MAX_CATALOG = 0x100000;
    public static final long MAX_EXTENT = 0x800000;
    /** A catalog entry that maps no extent. */
    public static final long UNALLOCATED = 0xFFFFFFFFL;
}
