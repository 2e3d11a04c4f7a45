package dev.nbdref.conformance;

import dev.nbdref.spec.Level;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything one {@code nbdref check-client} run found out: how the server was set up, what the client command
 * did, what each of its connections did wrong, and which client rules its behaviour put to the test. A plain
 * value: the JSON, HTML, JUnit and terminal renderings are all made from it, so they cannot disagree.
 *
 * @param version            nbdref's version ("dev" when run from classes)
 * @param profile            the server profile's name (strict, minimal, ...)
 * @param profileDescription what the profile does, in a sentence
 * @param serverUris         the URIs the server offered, one per export
 * @param command            the client command line, placeholders already substituted
 * @param started            when the run started (server start)
 * @param ended              when the run ended (server stopped, reports collected)
 * @param client             how the client process ended
 * @param failure            why the run itself failed (client not found, timeout, ...), or null
 * @param connections        each client connection, in the order they ended
 * @param coverage           every client rule of the catalog and whether this run exercised it
 */
public record ClientReport(String version, String profile, String profileDescription, List<String> serverUris,
                           List<String> command, Instant started, Instant ended, ClientProcess client, String failure,
                           List<ConnectionReport> connections, List<ClientReportCoverage.RuleStatus> coverage) {

    /** The exit status of {@code check-client} when the client made no MUST violation. */
    public static final int PASS = 0;
    /** ... when it made at least one. */
    public static final int FAIL = 1;
    /** ... when the run itself failed, so nothing can be said about the client. */
    public static final int ERROR = 2;

    public ClientReport {
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(client, "client");
        serverUris = List.copyOf(serverUris);
        command = List.copyOf(command);
        connections = List.copyOf(connections);
        coverage = List.copyOf(coverage);
    }

    /**
     * How the client process ended.
     *
     * @param exitStatus its exit status, or null when it never started or was killed after the timeout
     * @param timedOut   it was still running when the timeout struck and was killed
     * @param elapsed    from start to exit (or to the kill)
     */
    public record ClientProcess(Integer exitStatus, boolean timedOut, Duration elapsed) {
        public static final ClientProcess NOT_STARTED = new ClientProcess(null, false, Duration.ZERO);
    }

    /** A violation together with the connection it happened on. */
    public record Located(String connectionId, Violation violation) {
    }

    /** Every violation kept, connection by connection. */
    public List<Located> violations() {
        List<Located> all = new ArrayList<>();
        for (ConnectionReport c : connections) {
            for (Violation v : c.violations()) all.add(new Located(c.connectionId(), v));
        }
        return all;
    }

    public long count(Level level) {
        return violations().stream().filter(l -> l.violation().severity() == level).count();
    }

    /** Violations counted but not kept (a connection keeps at most 1000). */
    public long dropped() {
        return connections.stream().mapToLong(ConnectionReport::dropped).sum();
    }

    /**
     * 2 when the run failed, else 1 when there is a MUST violation, else 0. SHOULD and MAY deviations are reported
     * but never fail a run: the spec allows them, and a CI gate on them would punish legal clients.
     */
    public int exitStatus() {
        if (failure != null) return ERROR;
        return count(Level.MUST) > 0 ? FAIL : PASS;
    }

    /** "pass", "fail" or "error", matching {@link #exitStatus()}. */
    public String status() {
        switch (exitStatus()) {
            case PASS: return "pass";
            case FAIL: return "fail";
            default: return "error";
        }
    }

    /** The verdict in one sentence: the failure, or the violation counts. */
    public String resultMessage() {
        if (failure != null) return "the run failed: " + failure;
        long must = count(Level.MUST);
        long lenient = count(Level.SHOULD) + count(Level.MAY);
        String rest = lenient == 0 ? "" : ", " + lenient + " SHOULD/MAY-level deviation" + (lenient == 1 ? "" : "s")
                + " (reported, not failing)";
        if (must == 0) return "no MUST violation" + rest;
        return must + " MUST violation" + (must == 1 ? "" : "s") + rest;
    }

    /** The rules this run put to the test (passed or violated), in catalog order. */
    public List<ClientReportCoverage.RuleStatus> checkedRules() {
        return coverage.stream().filter(ClientReportCoverage.RuleStatus::checked).toList();
    }
}
