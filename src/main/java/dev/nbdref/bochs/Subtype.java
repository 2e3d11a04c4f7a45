package dev.nbdref.bochs;

/** The redolog subtypes Bochs writes; the string is what the header's subtype field holds. */
public enum Subtype {
    /** A standalone image that grows as sectors are written. */
    GROWING("Growing"),
    /** Changes to a read-only base image, kept until committed. */
    UNDOABLE("Undoable"),
    /** Changes to a base image, thrown away when the emulator exits. */
    VOLATILE("Volatile");

    private final String text;

    Subtype(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }

    /** Redologs record changes over a base image and cannot be read without it. */
    public boolean needsBase() {
        return this != GROWING;
    }
}
