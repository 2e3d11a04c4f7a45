package dev.nbdref.conformance;

import dev.nbdref.spec.Level;

import java.nio.file.Path;
import java.util.Locale;

/**
 * The client report as one self-contained HTML page: inline CSS, no scripts, no external assets, so it can be
 * archived as a CI artifact and opened anywhere. Every value goes through {@link ClientReportText#escape}:
 * reports quote bytes chosen by the client under test, and a report must not become an attack on its reader.
 */
public final class ClientReportHtml {
    private static final String CSS = String.join("\n",
            "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;max-width:75em;"
                    + "padding:0 1em;color:#1d232a}",
            "h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #d5dbe1}",
            "table{border-collapse:collapse;width:100%;margin:.5em 0}",
            "th,td{border:1px solid #d5dbe1;padding:.3em .5em;text-align:left;vertical-align:top}",
            "th{background:#f1f4f7}code,.hex{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em}",
            ".hex{word-break:break-all}",
            ".badge{display:inline-block;padding:.15em .6em;border-radius:.3em;color:#fff;font-weight:600}",
            ".pass{background:#1f883d}.fail{background:#cf222e}.error{background:#9a6700}",
            ".MUST{color:#cf222e;font-weight:600}.SHOULD{color:#9a6700;font-weight:600}.MAY{color:#57606a}",
            ".violated{background:#ffebe9}.passed{background:#eefbf0}.not-exercised,.not-observable{color:#57606a}",
            "details{margin:.4em 0}summary{cursor:pointer;font-weight:600}",
            "td.dir{width:1.5em;text-align:center}.muted{color:#57606a}");

    private ClientReportHtml() {
    }

    public static void write(ClientReport r, Path path) {
        ClientReportText.writeAtomically(path, render(r));
    }

    public static String render(ClientReport r) {
        StringBuilder b = new StringBuilder(16_384);
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>nbdref check-client: ").append(e(r.status().toUpperCase(Locale.ROOT))).append(" (")
                .append(e(r.profile())).append(")</title>\n<style>\n").append(CSS).append("\n</style>\n</head>\n<body>\n");
        b.append("<h1>nbdref client conformance report</h1>\n<p><span class=\"badge ").append(e(r.status())).append("\">")
                .append(e(r.status().toUpperCase(Locale.ROOT))).append("</span> ").append(e(r.resultMessage()))
                .append(" &mdash; exit status ").append(r.exitStatus()).append("</p>\n");
        run(b, r);
        violations(b, r);
        coverage(b, r);
        connections(b, r);
        b.append("<p class=\"muted\">nbdref ").append(e(r.version())).append("</p>\n</body>\n</html>\n");
        return b.toString();
    }

    private static void run(StringBuilder b, ClientReport r) {
        b.append("<h2>Run</h2>\n<table>\n");
        row(b, "Profile", "<code>" + e(r.profile()) + "</code> &mdash; " + e(r.profileDescription()));
        row(b, "Client command", "<code>" + e(ClientReportText.shellQuoted(r.command())) + "</code>");
        ClientReport.ClientProcess p = r.client();
        String outcome = p.timedOut() ? "killed after the timeout"
                : p.exitStatus() == null ? "did not run" : "exit status " + p.exitStatus();
        row(b, "Client outcome", e(outcome + String.format(Locale.ROOT, " after %.2f s", p.elapsed().toMillis() / 1000.0)));
        row(b, "Server", e(String.join(" ", r.serverUris())));
        row(b, "Started / ended", e(r.started() + " / " + r.ended()));
        row(b, "Violations", r.count(Level.MUST) + " MUST, " + r.count(Level.SHOULD) + " SHOULD, " + r.count(Level.MAY)
                + " MAY" + (r.dropped() > 0 ? ", " + r.dropped() + " more not kept" : ""));
        b.append("</table>\n");
    }

    private static void violations(StringBuilder b, ClientReport r) {
        b.append("<h2>Violations</h2>\n");
        if (r.violations().isEmpty()) {
            b.append("<p>None.</p>\n");
            return;
        }
        b.append("<table>\n<tr><th>Severity</th><th>Rule</th><th>What</th><th>Where</th><th>Bytes</th>"
                + "<th>nbdref reacted</th></tr>\n");
        for (ClientReport.Located l : r.violations()) {
            Violation v = l.violation();
            b.append("<tr><td class=\"").append(e(v.severity().name())).append("\">").append(e(v.severity().name()))
                    .append("</td><td><strong>").append(e(v.requirementId())).append("</strong> ").append(e(v.title()))
                    .append("</td><td>").append(e(v.detail())).append("</td><td>").append(e(l.connectionId() + ", "
                            + ClientReportText.where(v))).append("</td><td class=\"hex\">")
                    .append(e(ClientReportText.groupedHex(v.excerptHex()))).append("</td><td>").append(e(v.reaction()))
                    .append("</td></tr>\n");
        }
        b.append("</table>\n");
    }

    private static void coverage(StringBuilder b, ClientReport r) {
        b.append("<h2>Spec coverage</h2>\n<p>").append(r.checkedRules().size())
                .append(" client rules were checked by what this client did.</p>\n<table>\n")
                .append("<tr><th>Rule</th><th>Level</th><th>Status</th><th>Title</th><th>Exercised when</th>"
                        + "<th>Violations</th></tr>\n");
        for (ClientReportCoverage.RuleStatus s : r.coverage()) {
            String status = s.status().jsonName();
            b.append("<tr class=\"").append(e(status)).append("\"><td>").append(e(s.rule().id())).append("</td><td class=\"")
                    .append(e(s.rule().level().name())).append("\">").append(e(s.rule().level().name()))
                    .append("</td><td>").append(e(status)).append("</td><td>").append(e(s.rule().title()))
                    .append("</td><td>").append(e(s.exercisedWhen())).append("</td><td>").append(s.violations())
                    .append("</td></tr>\n");
        }
        b.append("</table>\n");
    }

    private static void connections(StringBuilder b, ClientReport r) {
        b.append("<h2>Connections</h2>\n");
        if (r.connections().isEmpty()) b.append("<p>The client never connected.</p>\n");
        for (ConnectionReport c : r.connections()) {
            b.append("<details").append(c.violations().isEmpty() ? "" : " open").append("><summary>")
                    .append(e(c.connectionId() + " from " + c.peer() + ": reached " + ClientReportFacts.phaseReached(c)
                            + (c.exportName() != null ? " on \"" + c.exportName() + "\"" : "") + ", "
                            + c.violations().size() + " violation(s)")).append("</summary>\n<table>\n");
            row(b, "Ended", e(c.endReason()) + " <span class=\"muted\">(" + e(c.started() + " to " + c.ended()) + ")</span>");
            StringBuilder commands = new StringBuilder();
            new java.util.TreeMap<>(c.commands()).forEach((name, n) ->
                    commands.append(commands.length() == 0 ? "" : ", ").append(e(name)).append(" &times; ").append(n));
            row(b, "Requests", commands.length() == 0 ? "none" : commands.toString());
            b.append("</table>\n<table>\n<tr><th>Phase</th><th class=\"dir\"></th><th>Byte</th><th>Message</th></tr>\n");
            for (TranscriptEntry t : c.transcript()) {
                b.append("<tr><td>").append(e(t.phase().name())).append("</td><td class=\"dir\" title=\"")
                        .append(t.fromClient() ? "client to server\">&rarr;" : "server to client\">&larr;")
                        .append("</td><td>").append(t.fromClient() && t.byteOffset() >= 0 ? t.byteOffset() : "")
                        .append("</td><td><code>").append(e(t.summary())).append("</code></td></tr>\n");
            }
            b.append("</table>\n</details>\n");
        }
    }

    private static void row(StringBuilder b, String label, String html) {
        b.append("<tr><th>").append(e(label)).append("</th><td>").append(html).append("</td></tr>\n");
    }

    private static String e(String s) {
        return ClientReportText.escape(s);
    }
}
