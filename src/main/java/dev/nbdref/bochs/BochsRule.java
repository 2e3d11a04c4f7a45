package dev.nbdref.bochs;

/**
 * The reader's validation rules, mirrored from spec/bochs-rules.json (a test keeps the two in step). A rule
 * either rejects an image with its error kind, in strict mode, in lenient mode or in both, or it is a
 * policy (no kind): a statement of what the reader ignores or how it interprets a field.
 */
public enum BochsRule {
    B01("file holds a whole header", BochsErrorKind.TRUNCATED, true, true),
    B02("signature string", BochsErrorKind.NOT_BOCHS, true, true),
    B03("type string is Redolog", BochsErrorKind.NOT_BOCHS, true, true),
    B04("known subtype", BochsErrorKind.UNSUPPORTED_SUBTYPE, true, true),
    B05("redolog read over its base", BochsErrorKind.UNSUPPORTED_SUBTYPE, true, true),
    B06("string fields zero after their terminator", BochsErrorKind.NOT_BOCHS, true, false),
    B07("known version", BochsErrorKind.UNSUPPORTED_VERSION, true, true),
    B08("header size field is 512", BochsErrorKind.INVALID_HEADER, true, true),
    B09("catalog at most 1048576 entries", BochsErrorKind.INVALID_HEADER, true, true),
    B10("extent at least one sector", BochsErrorKind.INVALID_HEADER, true, true),
    B11("extent a power of two", BochsErrorKind.INVALID_HEADER, true, true),
    B12("extent at most 8 MiB", BochsErrorKind.INVALID_HEADER, true, true),
    B13("disk size below 2^63", BochsErrorKind.INVALID_HEADER, true, true),
    B14("catalog covers the disk", BochsErrorKind.INVALID_HEADER, true, true),
    B15("bitmap covers the extent", BochsErrorKind.INVALID_HEADER, true, true),
    B16("bitmap sized as Bochs sizes it", BochsErrorKind.INVALID_HEADER, true, false),
    B17("disk size in whole sectors", BochsErrorKind.INVALID_HEADER, true, false),
    B18("catalog inside the file", BochsErrorKind.TRUNCATED, true, true),
    B19("allocated extents inside the file", BochsErrorKind.CORRUPT, true, false),
    B20("no two entries share an extent", BochsErrorKind.CORRUPT, true, false),
    B21("entries past the disk are never consulted", null, false, false),
    B22("reads stay inside the disk", BochsErrorKind.OUT_OF_RANGE, true, true),
    B23("bytes that carry no content are ignored", null, false, false),
    B24("version 1 disk size at offset 84", null, false, false),
    B25("redolog disk size equals its base", BochsErrorKind.INVALID_HEADER, true, true),
    B26("bounded, checked, validated-first allocation", null, false, false);

    private final String title;
    private final BochsErrorKind kind;
    private final boolean strictRejects;
    private final boolean lenientRejects;

    BochsRule(String title, BochsErrorKind kind, boolean strictRejects, boolean lenientRejects) {
        this.title = title;
        this.kind = kind;
        this.strictRejects = strictRejects;
        this.lenientRejects = lenientRejects;
    }

    public String id() {
        return name();
    }

    public String title() {
        return title;
    }

    /** The error kind this rule raises; null for a policy rule. */
    public BochsErrorKind kind() {
        return kind;
    }

    public boolean rejectsIn(Mode mode) {
        return mode == Mode.STRICT ? strictRejects : lenientRejects;
    }

    /** Builds the error for a breach of this rule. */
    BochsFormatException error(String message) {
        if (kind == null) throw new IllegalStateException(name() + " is a policy rule and raises nothing");
        return new BochsFormatException(this, message);
    }
}
