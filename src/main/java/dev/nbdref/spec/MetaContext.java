package dev.nbdref.spec;

/** Metadata context names and state bits (spec/constants.json, "metaContexts"). */
public final class MetaContext {
    private MetaContext() {}

    public static final String BASE_NAMESPACE = "base";
    public static final String BASE_ALLOCATION = "base:allocation";
    public static final String QEMU_ALLOCATION_DEPTH = "qemu:allocation-depth";
    public static final String QEMU_DIRTY_BITMAP_PREFIX = "qemu:dirty-bitmap:";

    /** base:allocation: the extent is not allocated. */
    public static final int STATE_HOLE = 0x1;
    /** base:allocation: the extent reads as zeroes. */
    public static final int STATE_ZERO = 0x2;
    /** qemu:dirty-bitmap:NAME: the extent changed since the bitmap was cleared. */
    public static final int STATE_DIRTY = 0x1;
}
