package dev.nbdref.conformance;

import dev.nbdref.spec.RequirementCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTML report: self-contained, and safe whatever bytes the client under test chose. */
class ClientReportHtmlTest {
    private static final String SCRIPT = "<script>alert(\"owned\")</script>";
    private static final Set<String> OUR_TAGS = Set.of("!DOCTYPE", "html", "head", "meta", "title", "style", "body",
            "h1", "h2", "p", "span", "table", "tr", "th", "td", "strong", "code", "details", "summary");

    /** A report whose every client-controlled field carries markup, quotes and terminal escapes. */
    private static ClientReport hostile() {
        ConnectionRecorder rec = new ConnectionRecorder(RequirementCatalog.standard(), "c1");
        rec.transcript(Phase.OPTIONS, true, 4, "NBD_OPT_GO name=\"" + SCRIPT + "\" info=[]");
        rec.transcript(Phase.OPTIONS, false, -1, "NBD_REP_ERR_UNKNOWN \"no export named \\\"</code></td><img src=x"
                + " onerror=alert(1)>\\\"\"");
        rec.record("C13", Phase.OPTIONS, 1, 4, "query \"" + SCRIPT + "\u001b[2J\u0000' & more\" does not start with a"
                + " namespace and a colon", new byte[] {0x3c, 0x3e}, "ERR_INVALID");
        rec.ended("client closed the connection <b>rudely</b>");
        ConnectionReport c = ConnectionReport.of(rec, "/127.0.0.1:1", ClientReportSamples.T0, ClientReportSamples.T0,
                "\"><img src=x onerror=alert(2)>");
        List<ConnectionReport> conns = List.of(c);
        return new ClientReport("1.0<i>", "strict", "profile & <desc>", List.of("nbd://127.0.0.1:1/\"><x>"),
                List.of("client", "--name=<b>bold</b>", "it's"), ClientReportSamples.T0, ClientReportSamples.T0,
                new ClientReport.ClientProcess(3, false, java.time.Duration.ofMillis(5)), null, conns,
                ClientReportCoverage.of(RequirementCatalog.standard(), conns, ClientReportFacts.of(conns, null)));
    }

    @Test
    void everyClientControlledValueIsEscaped() {
        String html = ClientReportHtml.render(hostile());
        assertFalse(html.toLowerCase(Locale.ROOT).contains("<script"), html);
        assertFalse(html.contains("<img"), html);
        assertFalse(html.contains("<b>") || html.contains("<i>") || html.contains("<x>"), html);
        assertTrue(html.contains("&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;"), html);
        assertTrue(html.contains("--name=&lt;b&gt;bold&lt;/b&gt;"), html);
        assertTrue(html.contains("&#39;it&#39;"), "quotes in the shell-quoted command are escaped");
        assertFalse(html.chars().anyMatch(ch -> ch < 0x20 && ch != '\n'), "control characters in the page");
        assertTrue(html.contains("\\x1b[2J\\x00"), "control characters are shown, not passed through");
        Set<String> tags = new TreeSet<>();
        Matcher m = Pattern.compile("</?([!A-Za-z][A-Za-z0-9]*)").matcher(html);
        while (m.find()) tags.add(m.group(1));
        assertTrue(OUR_TAGS.containsAll(tags), "unexpected tags " + tags);
    }

    @Test
    void thePageIsSelfContained() {
        String html = ClientReportHtml.render(ClientReportSamples.typical());
        for (String external : List.of("src=", "href=", "url(", "@import", "<link", "<script", "http://", "https://")) {
            assertFalse(html.contains(external), "external reference " + external);
        }
        assertEquals(1, html.split("<style>", -1).length - 1);
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertTrue(html.trim().endsWith("</html>"));
    }

    @Test
    void itShowsTheVerdictViolationsCoverageAndTranscript() {
        String html = ClientReportHtml.render(ClientReportSamples.typical());
        assertTrue(html.contains("<span class=\"badge fail\">FAIL</span>"));
        assertTrue(html.contains("<strong>C19</strong>"));
        assertTrue(html.contains("c1, TRANSMISSION, request 2, byte 112"));
        assertTrue(html.contains("25609513 00020001 09"));
        assertTrue(html.contains("NBD_OPT_GO name=&quot;disk&quot; info=[BLOCK_SIZE]"));
        assertTrue(html.contains("<tr class=\"not-observable\"><td>C36</td>"));
        assertTrue(html.contains("NBD_CMD_WRITE &times; 2"));
    }

    @Test
    void writeCreatesTheFile(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("r.html");
        ClientReportHtml.write(ClientReportSamples.typical(), out);
        assertTrue(Files.readString(out).contains("nbdref client conformance report"));
    }
}
