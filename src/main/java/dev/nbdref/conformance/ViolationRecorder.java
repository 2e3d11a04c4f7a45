package dev.nbdref.conformance;

import dev.nbdref.spec.Requirement;
import dev.nbdref.spec.RequirementCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Collects the violations of one connection. It records and logs; it never decides how the server
 * reacts (the caller does, and says so in {@code reaction}).
 */
public final class ViolationRecorder {
    private static final Logger log = LoggerFactory.getLogger(ViolationRecorder.class);
    private static final int EXCERPT_BYTES = 64;
    /** A hostile client could trigger millions; past this many only the count grows. */
    private static final int MAX_KEPT = 1000;

    private final RequirementCatalog catalog;
    private final String connectionId;
    private final List<Violation> violations = new ArrayList<>();
    private long dropped;

    public ViolationRecorder(RequirementCatalog catalog, String connectionId) {
        this.catalog = catalog;
        this.connectionId = connectionId;
    }

    /** Records that the client broke {@code requirementId}; an unknown ID is a bug in nbdref and throws. */
    public synchronized void record(String requirementId, Phase phase, long sequence, long byteOffset,
                                    String detail, byte[] excerpt, String reaction) {
        Requirement rule = catalog.require(requirementId);
        String hex = excerpt == null ? "" : HexFormat.of().formatHex(excerpt, 0, Math.min(excerpt.length, EXCERPT_BYTES));
        Violation v = new Violation(rule.id(), rule.level(), rule.title(), phase, sequence, byteOffset, detail, hex,
                reaction);
        log.warn("[{}] client violation {} ({} {}): {}; {}", connectionId, rule.id(), rule.level(), rule.title(),
                detail, reaction);
        if (violations.size() < MAX_KEPT) violations.add(v); else dropped++;
    }

    public synchronized List<Violation> violations() { return List.copyOf(violations); }

    /** Violations seen but not kept once {@link #MAX_KEPT} was reached. */
    public synchronized long dropped() { return dropped; }

    public String connectionId() { return connectionId; }
}
