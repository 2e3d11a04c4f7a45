package dev.nbdref.wire;

/**
 * Bytes that do not form a valid message. Carries the requirement the sender broke, so the
 * server can record the violation without knowing how the codec parsed.
 */
public final class WireFormatException extends Exception {
    private final String requirementId;

    public WireFormatException(String requirementId, String message) {
        super(message);
        this.requirementId = requirementId;
    }

    /** The requirement ID (spec/requirements.json) the bytes break. */
    public String requirementId() { return requirementId; }
}
