package dev.nbdref.conformance;

import java.time.Instant;
import java.util.List;

/**
 * What one client connection did wrong, for the violation report.
 *
 * @param exportName the export it reached transmission on, or null
 * @param dropped    violations counted but not kept (a hostile client can produce without end)
 */
public record ConnectionReport(String connectionId, String peer, Instant started, Instant ended, String exportName,
                               List<Violation> violations, long dropped) {
    public ConnectionReport {
        violations = List.copyOf(violations);
    }
}
