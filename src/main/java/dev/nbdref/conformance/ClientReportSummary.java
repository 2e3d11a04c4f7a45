package dev.nbdref.conformance;

import dev.nbdref.spec.Level;

import java.util.List;
import java.util.Locale;

/**
 * The terminal summary of a client report: what ran, each violation with where it happened and the bytes that
 * broke the rule, then the verdict. Plain text, every client-derived value made printable, so it reads the same
 * in a terminal and in a CI log.
 */
public final class ClientReportSummary {
    private static final String INDENT = "         ";

    private ClientReportSummary() {
    }

    /** The summary of a check-client run: the client command, its outcome, and check-client's exit status. */
    public static String render(ClientReport r) {
        return render(r, true);
    }

    /**
     * The summary of one connection to a running server ({@code serve --validate}): no client process was run,
     * so neither its outcome nor an exit status is shown.
     */
    public static String renderConnection(ClientReport r) {
        return render(r, false);
    }

    private static String render(ClientReport r, boolean ranClient) {
        StringBuilder b = new StringBuilder();
        b.append(ranClient ? "nbdref check-client" : "nbdref serve --validate").append(", profile ")
                .append(r.profile()).append(": ").append(r.profileDescription()).append('\n');
        b.append("client: ").append(ClientReportText.printable(ClientReportText.shellQuoted(r.command()))).append('\n');
        if (ranClient) b.append("        ").append(clientOutcome(r.client())).append('\n');
        connections(b, r.connections());
        violations(b, r);
        coverage(b, r);
        b.append("result: ").append(r.status().toUpperCase(Locale.ROOT)).append(": ")
                .append(ClientReportText.printable(r.resultMessage()));
        if (ranClient) b.append(" (exit status ").append(r.exitStatus()).append(')');
        return b.append('\n').toString();
    }

    private static String clientOutcome(ClientReport.ClientProcess p) {
        String time = String.format(Locale.ROOT, "%.2f s", p.elapsed().toMillis() / 1000.0);
        if (p.timedOut()) return "killed after the timeout (" + time + ")";
        if (p.exitStatus() == null) return "did not run";
        return "exit status " + p.exitStatus() + " after " + time;
    }

    private static void connections(StringBuilder b, List<ConnectionReport> connections) {
        b.append("connections: ").append(connections.size()).append('\n');
        for (ConnectionReport c : connections) {
            long options = c.transcript().stream().filter(e -> e.fromClient() && e.phase() == Phase.OPTIONS).count();
            long requests = c.commands().values().stream().mapToLong(Long::longValue).sum();
            b.append("  ").append(c.connectionId()).append("  reached ").append(ClientReportFacts.phaseReached(c));
            if (c.exportName() != null) b.append(" on \"").append(ClientReportText.printable(c.exportName())).append('"');
            b.append(", ").append(options).append(" option(s), ").append(requests).append(" request(s); ended: ")
                    .append(ClientReportText.printable(c.endReason())).append('\n');
        }
    }

    private static void violations(StringBuilder b, ClientReport r) {
        List<ClientReport.Located> all = r.violations();
        b.append('\n');
        if (all.isEmpty()) {
            b.append("violations: none\n\n");
            return;
        }
        b.append("violations: ").append(r.count(Level.MUST)).append(" MUST, ").append(r.count(Level.SHOULD))
                .append(" SHOULD, ").append(r.count(Level.MAY)).append(" MAY")
                .append(r.dropped() > 0 ? " (and " + r.dropped() + " more not kept)" : "").append('\n');
        for (ClientReport.Located l : all) {
            Violation v = l.violation();
            b.append(String.format(Locale.ROOT, "  %-6s %s  %s%n", v.severity(), v.requirementId(),
                    ClientReportText.printable(v.title())));
            b.append(INDENT).append("what:  ").append(ClientReportText.printable(v.detail())).append('\n');
            b.append(INDENT).append("where: ").append(l.connectionId()).append(", ")
                    .append(ClientReportText.where(v)).append('\n');
            if (!v.excerptHex().isEmpty()) {
                b.append(INDENT).append("bytes: ").append(ClientReportText.groupedHex(v.excerptHex())).append('\n');
            }
            b.append(INDENT).append("nbdref: ").append(ClientReportText.printable(v.reaction())).append('\n');
        }
        b.append('\n');
    }

    private static void coverage(StringBuilder b, ClientReport r) {
        long passed = 0, violated = 0, unexercised = 0, unobservable = 0;
        for (ClientReportCoverage.RuleStatus s : r.coverage()) {
            switch (s.status()) {
                case PASSED: passed++; break;
                case VIOLATED: violated++; break;
                case NOT_EXERCISED: unexercised++; break;
                default: unobservable++;
            }
        }
        b.append("client rules checked: ").append(passed + violated).append(" (").append(passed).append(" passed, ")
                .append(violated).append(" violated); ").append(unexercised).append(" not exercised by this client, ")
                .append(unobservable).append(" not observable by nbdref\n");
    }
}
