package dev.nbdref.bochs;

import java.io.IOException;

/**
 * A Bochs image broke one of the reader's rules. It carries the error kind and the rule ID of
 * spec/bochs-rules.json, so tools and tests can say exactly which check fired. It is an IOException so it
 * passes through the block device interface unchanged.
 */
public final class BochsFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final BochsRule rule;

    public BochsFormatException(BochsRule rule, String message) {
        super(message);
        this.rule = rule;
    }

    public BochsRule rule() {
        return rule;
    }

    public BochsErrorKind kind() {
        return rule.kind();
    }

    /** One line for people: the kind, the rule and what was wrong. */
    public String describe() {
        return kind() + " (" + rule.id() + " " + rule.title() + "): " + getMessage();
    }
}
