package dev.nbdref.conformance;

import dev.nbdref.spec.Level;

/**
 * One protocol mistake a client made, as the server saw it.
 *
 * @param requirementId the rule broken (spec/requirements.json)
 * @param severity      the rule's level: MUST or SHOULD
 * @param title         the rule's title, for readers of a report
 * @param phase         negotiation phase
 * @param sequence      option or request number within the phase, counted from 1 (0 when not applicable)
 * @param byteOffset    offset in the client's byte stream where the offending message starts
 * @param detail        what exactly was wrong, in plain words
 * @param excerptHex    the offending bytes (at most 64), hex encoded
 * @param reaction      what the server did about it
 */
public record Violation(String requirementId, Level severity, String title, Phase phase, long sequence,
                        long byteOffset, String detail, String excerptHex, String reaction) {
}
