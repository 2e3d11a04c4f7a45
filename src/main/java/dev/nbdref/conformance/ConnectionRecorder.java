package dev.nbdref.conformance;

import dev.nbdref.spec.Requirement;
import dev.nbdref.spec.RequirementCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Collects what one connection did: its violations, the transcript of its negotiation, and how many of
 * each command it sent. It records and logs; it never decides how the server reacts (the caller does, and
 * says so in {@code reaction}).
 */
public final class ConnectionRecorder {
    /** Negotiation is short for real clients; a hostile one is cut off at 4096 options anyway. */
    private static final int MAX_TRANSCRIPT = 2000;
    private static final Logger log = LoggerFactory.getLogger(ConnectionRecorder.class);
    private static final int EXCERPT_BYTES = 64;
    /** A hostile client could trigger millions; past this many only the count grows. */
    private static final int MAX_KEPT = 1000;

    private final RequirementCatalog catalog;
    private final String connectionId;
    private final List<Violation> violations = new ArrayList<>();
    private final List<TranscriptEntry> transcript = new ArrayList<>();
    private final Map<String, Long> commands = new TreeMap<>();
    private long dropped;
    private String endReason = "open";

    public ConnectionRecorder(RequirementCatalog catalog, String connectionId) {
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

    /** Adds a negotiation message to the transcript. */
    public synchronized void transcript(Phase phase, boolean fromClient, long byteOffset, String summary) {
        if (transcript.size() < MAX_TRANSCRIPT) transcript.add(new TranscriptEntry(phase, fromClient, byteOffset, summary));
    }

    /** Counts a transmission request by command name (unknown types are counted as "command N"). */
    public synchronized void command(String name) { commands.merge(name, 1L, Long::sum); }

    /** How the connection ended, in plain words ("NBD_CMD_DISC", "client closed", "hard disconnect: ..."). */
    public synchronized void ended(String reason) { endReason = reason; }

    public synchronized List<Violation> violations() { return List.copyOf(violations); }

    public synchronized List<TranscriptEntry> transcript() { return List.copyOf(transcript); }

    public synchronized Map<String, Long> commands() { return Map.copyOf(commands); }

    public synchronized String endReason() { return endReason; }

    /** Violations seen but not kept once {@link #MAX_KEPT} was reached. */
    public synchronized long dropped() { return dropped; }

    public String connectionId() { return connectionId; }
}
