package dev.nbdref.conformance;

import dev.nbdref.spec.Level;

import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The client report as JUnit XML, the format every CI system shows as tests: one test case per client rule the
 * run checked (a failure when a MUST rule was broken, with every violation's detail), plus one for the run
 * itself (an error when the run failed). Rules the client never exercised are left out rather than shown as
 * passing. SHOULD and MAY deviations do not fail their test case, as they do not fail the run; they appear in
 * its {@code <system-out>} so they are visible without turning a build red.
 */
public final class ClientReportJunit {

    private ClientReportJunit() {
    }

    public static void write(ClientReport r, Path path) {
        ClientReportText.writeAtomically(path, render(r));
    }

    public static String render(ClientReport r) {
        StringWriter out = new StringWriter();
        try {
            XMLStreamWriter x = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
            x.writeStartDocument("UTF-8", "1.0");
            x.writeCharacters("\n");
            List<ClientReportCoverage.RuleStatus> checked = r.checkedRules();
            int tests = checked.size() + 1;
            long failures = checked.stream().filter(ClientReportJunit::fails).count();
            int errors = r.failure() != null ? 1 : 0;
            String time = seconds(Duration.between(r.started(), r.ended()));
            x.writeStartElement("testsuites");
            attributes(x, "nbdref check-client", tests, failures, errors, time);
            x.writeCharacters("\n  ");
            x.writeStartElement("testsuite");
            attributes(x, "nbdref check-client (profile " + r.profile() + ")", tests, failures, errors, time);
            x.writeAttribute("skipped", "0");
            x.writeAttribute("timestamp", r.started().toString());
            properties(x, r);
            String classname = "nbdref.client." + r.profile();
            runCase(x, r, classname);
            for (ClientReportCoverage.RuleStatus s : checked) ruleCase(x, r, s, classname);
            x.writeCharacters("\n  ");
            x.writeEndElement();
            x.writeCharacters("\n");
            x.writeEndElement();
            x.writeCharacters("\n");
            x.writeEndDocument();
            x.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot render JUnit XML", e);
        }
        return out.toString();
    }

    /** Only a broken MUST rule fails its test case. */
    private static boolean fails(ClientReportCoverage.RuleStatus s) {
        return s.status() == ClientReportCoverage.Status.VIOLATED && s.rule().level() == Level.MUST;
    }

    private static void attributes(XMLStreamWriter x, String name, int tests, long failures, int errors, String time)
            throws XMLStreamException {
        x.writeAttribute("name", t(name));
        x.writeAttribute("tests", String.valueOf(tests));
        x.writeAttribute("failures", String.valueOf(failures));
        x.writeAttribute("errors", String.valueOf(errors));
        x.writeAttribute("time", time);
    }

    private static void properties(XMLStreamWriter x, ClientReport r) throws XMLStreamException {
        x.writeCharacters("\n    ");
        x.writeStartElement("properties");
        property(x, "nbdref.version", r.version());
        property(x, "profile", r.profile());
        property(x, "profile.description", r.profileDescription());
        property(x, "client.command", ClientReportText.shellQuoted(r.command()));
        property(x, "client.exitStatus", String.valueOf(r.client().exitStatus()));
        property(x, "result", r.status() + ": " + r.resultMessage());
        x.writeCharacters("\n    ");
        x.writeEndElement();
    }

    private static void property(XMLStreamWriter x, String name, String value) throws XMLStreamException {
        x.writeCharacters("\n      ");
        x.writeEmptyElement("property");
        x.writeAttribute("name", name);
        x.writeAttribute("value", t(value));
    }

    /** The run as a test of its own, so a failed run shows up as an error rather than as an empty suite. */
    private static void runCase(XMLStreamWriter x, ClientReport r, String classname) throws XMLStreamException {
        openCase(x, "run: the client command ran and its connections ended", classname);
        if (r.failure() != null) {
            x.writeStartElement("error");
            x.writeAttribute("type", "run-failed");
            x.writeAttribute("message", t(r.failure()));
            x.writeCharacters(t(r.resultMessage()));
            x.writeEndElement();
        }
        systemOut(x, "client: " + ClientReportText.shellQuoted(r.command()) + "\nclient exit status: "
                + r.client().exitStatus() + (r.client().timedOut() ? " (timed out)" : "") + "\nconnections: "
                + r.connections().size() + "\nresult: " + r.resultMessage());
        closeCase(x);
    }

    private static void ruleCase(XMLStreamWriter x, ClientReport r, ClientReportCoverage.RuleStatus s, String classname)
            throws XMLStreamException {
        openCase(x, s.rule().id() + " " + s.rule().title(), classname);
        List<ClientReport.Located> broken = r.violations().stream()
                .filter(l -> l.violation().requirementId().equals(s.rule().id())).toList();
        if (fails(s)) {
            Violation first = broken.get(0).violation();
            x.writeStartElement("failure");
            x.writeAttribute("type", s.rule().level() + " " + s.rule().id());
            x.writeAttribute("message", t(first.detail() + " (" + broken.get(0).connectionId() + ", "
                    + ClientReportText.where(first) + ")" + (s.violations() > 1 ? " and " + (s.violations() - 1)
                    + " more" : "")));
            x.writeCharacters(t(describe(broken, s)));
            x.writeEndElement();
        } else if (!broken.isEmpty()) {
            systemOut(x, s.rule().level() + "-level deviation, reported but not failing the run:\n"
                    + describe(broken, s));
        }
        closeCase(x);
    }

    private static String describe(List<ClientReport.Located> broken, ClientReportCoverage.RuleStatus s) {
        StringBuilder b = new StringBuilder();
        b.append(s.rule().id()).append(" (").append(s.rule().level()).append(", spec section \"")
                .append(s.rule().section()).append("\"): ").append(s.rule().title()).append('\n');
        for (ClientReport.Located l : broken) {
            Violation v = l.violation();
            b.append("\n").append(l.connectionId()).append(", ").append(ClientReportText.where(v)).append(": ")
                    .append(v.detail()).append('\n');
            if (!v.excerptHex().isEmpty()) b.append("  bytes: ").append(ClientReportText.groupedHex(v.excerptHex())).append('\n');
            b.append("  nbdref: ").append(v.reaction()).append('\n');
        }
        return b.toString();
    }

    private static void openCase(XMLStreamWriter x, String name, String classname) throws XMLStreamException {
        x.writeCharacters("\n    ");
        x.writeStartElement("testcase");
        x.writeAttribute("name", t(name));
        x.writeAttribute("classname", t(classname));
        x.writeAttribute("time", "0");
    }

    private static void closeCase(XMLStreamWriter x) throws XMLStreamException {
        x.writeEndElement();
    }

    private static void systemOut(XMLStreamWriter x, String text) throws XMLStreamException {
        x.writeStartElement("system-out");
        x.writeCharacters(t(text));
        x.writeEndElement();
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.3f", Math.max(0, d.toMillis()) / 1000.0);
    }

    /**
     * Text safe for XML 1.0: control characters (which no escaping can make legal) are written as \xNN. Line
     * breaks in multi-line bodies are ours and are kept.
     */
    private static String t(String s) {
        if (s == null) return "";
        return String.join("\n", java.util.Arrays.stream(s.split("\n", -1)).map(ClientReportText::printable).toList());
    }
}
