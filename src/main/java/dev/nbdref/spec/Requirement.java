package dev.nbdref.spec;

import java.util.Objects;
import java.util.Optional;

/**
 * One entry of spec/requirements.json.
 *
 * @param id       stable identifier: S or C plus two digits; code and tests cite it
 * @param party    the peer the rule binds
 * @param level    MUST, SHOULD or MAY
 * @param area     coarse topic (handshake, read, block-status, ...)
 * @param section  heading of nbd-proto.md (or the extended-headers text) the rule comes from
 * @param title    one-line summary
 * @param text     the rule in nbdref's own words
 * @param reaction for client rules, what nbdref does when a client breaks it; null for server rules
 */
public record Requirement(String id, Party party, Level level, String area, String section,
                          String title, String text, String reaction) {

    public Requirement {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(party, "party");
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(area, "area");
        Objects.requireNonNull(section, "section");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(text, "text");
    }

    /** The reaction as an Optional, since server rules have none. */
    public Optional<String> reactionIfAny() {
        return Optional.ofNullable(reaction);
    }

    public boolean isMust() {
        return level == Level.MUST;
    }

    /** Short form for logs and violation messages: id, level in parentheses, then the title. */
    public String label() {
        return id + " (" + level + ") " + title;
    }
}
