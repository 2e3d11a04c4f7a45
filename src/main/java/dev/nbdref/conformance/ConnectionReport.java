package dev.nbdref.conformance;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What one client connection did wrong, for the violation report.
 *
 * @param exportName the export it reached transmission on, or null
 * @param dropped    violations counted but not kept (a hostile client can produce without end)
 * @param transcript the negotiation, message by message
 * @param commands   transmission requests sent, by command name
 * @param endReason  how the connection ended
 */
public record ConnectionReport(String connectionId, String peer, Instant started, Instant ended, String exportName,
                               List<Violation> violations, long dropped, List<TranscriptEntry> transcript,
                               Map<String, Long> commands, String endReason) {
    public ConnectionReport {
        violations = List.copyOf(violations);
        transcript = List.copyOf(transcript);
        commands = Map.copyOf(commands);
    }

    /** A report with only violations (tests, and callers that track nothing else). */
    public ConnectionReport(String connectionId, String peer, Instant started, Instant ended, String exportName,
                            List<Violation> violations, long dropped) {
        this(connectionId, peer, started, ended, exportName, violations, dropped, List.of(), Map.of(), "unknown");
    }

    /** Builds the report of a finished connection from its recorder. */
    public static ConnectionReport of(ConnectionRecorder r, String peer, Instant started, Instant ended,
                                      String exportName) {
        return new ConnectionReport(r.connectionId(), peer, started, ended, exportName, r.violations(), r.dropped(),
                r.transcript(), r.commands(), r.endReason());
    }
}
