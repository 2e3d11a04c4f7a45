package dev.nbdref.bochs;

/** How forgiving the reader is (see the strict and lenient columns of spec/bochs-rules.json). */
public enum Mode {
    /** Accept only what Bochs itself would write: every rule applies. */
    STRICT,
    /**
     * Accept what qemu's Bochs driver reads, as long as reading it is safe: quirks that only change what
     * bytes mean (rounded disk sizes, aliased or missing extents, padding) are tolerated the way qemu reads them.
     */
    LENIENT
}
