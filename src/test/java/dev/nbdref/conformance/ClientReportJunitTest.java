package dev.nbdref.conformance;

import dev.nbdref.spec.RequirementCatalog;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** JUnit XML: well-formed (a real DOM parse), one test case per checked rule, failures only for MUST rules. */
class ClientReportJunitTest {

    private static Document parse(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<Element> elements(Document d, String tag) {
        NodeList nodes = d.getElementsByTagName(tag);
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) out.add((Element) nodes.item(i));
        return out;
    }

    private static Element testcase(Document d, String rule) {
        return elements(d, "testcase").stream().filter(e -> e.getAttribute("name").startsWith(rule + " "))
                .findFirst().orElse(null);
    }

    @Test
    void oneTestCasePerCheckedRulePlusTheRun() throws Exception {
        ClientReport r = ClientReportSamples.typical();
        Document d = parse(ClientReportJunit.render(r));
        assertEquals("testsuites", d.getDocumentElement().getTagName());
        Element suite = elements(d, "testsuite").get(0);
        int cases = elements(d, "testcase").size();
        assertEquals(r.checkedRules().size() + 1, cases);
        assertEquals(String.valueOf(cases), suite.getAttribute("tests"));
        assertEquals("2", suite.getAttribute("failures")); // C17 and C19; C21 is a SHOULD
        assertEquals(2, elements(d, "failure").size());
        assertEquals("0", suite.getAttribute("errors"));
        assertNull(testcase(d, "C24"), "a rule the client never exercised is not a passing test");
        assertEquals("nbdref.client.strict", testcase(d, "C01").getAttribute("classname"));
    }

    @Test
    void aMustViolationFailsItsTestCaseWithTheDetail() throws Exception {
        Document d = parse(ClientReportJunit.render(ClientReportSamples.typical()));
        Element failure = (Element) testcase(d, "C19").getElementsByTagName("failure").item(0);
        assertEquals("MUST C19", failure.getAttribute("type"));
        assertTrue(failure.getAttribute("message").contains("flags 0x2 are not valid on NBD_CMD_WRITE"));
        assertTrue(failure.getAttribute("message").contains("c1, TRANSMISSION, request 2, byte 112"));
        assertTrue(failure.getTextContent().contains("bytes: 25609513 00020001 09"), failure.getTextContent());
    }

    @Test
    void aShouldDeviationPassesWithANoteInSystemOut() throws Exception {
        Element c21 = testcase(parse(ClientReportJunit.render(ClientReportSamples.typical())), "C21");
        assertEquals(0, c21.getElementsByTagName("failure").getLength());
        assertEquals(0, c21.getElementsByTagName("skipped").getLength());
        String out = c21.getElementsByTagName("system-out").item(0).getTextContent();
        assertTrue(out.startsWith("SHOULD-level deviation, reported but not failing the run"), out);
        assertTrue(out.contains("FUA on NBD_CMD_READ"), out);
    }

    @Test
    void aFailedRunIsAnError() throws Exception {
        ClientReport r = ClientReportSamples.report(List.of(), "the client was still running after the timeout", null);
        Document d = parse(ClientReportJunit.render(r));
        assertEquals("1", elements(d, "testsuite").get(0).getAttribute("errors"));
        Element error = elements(d, "error").get(0);
        assertEquals("run-failed", error.getAttribute("type"));
        assertTrue(error.getAttribute("message").contains("timeout"));
        assertEquals(1, elements(d, "testcase").size());
    }

    @Test
    void charactersXmlCannotHoldAreWrittenVisibly() throws Exception {
        ConnectionReport c = ClientReportSamples.transmission("c1", "name \u0000\u0007\ud800 ]]> <x> & \"q\"");
        ClientReport r = ClientReportSamples.report(List.of(c), null, null);
        Document d = parse(ClientReportJunit.render(r)); // throws on any character XML 1.0 forbids
        Element failure = (Element) testcase(d, "C19").getElementsByTagName("failure").item(0);
        assertTrue(failure.getAttribute("message").startsWith("name \\x00\\x07\ufffd ]]> <x> & \"q\""),
                failure.getAttribute("message"));
    }

    @Test
    void propertiesNameTheProfileAndTheCommand() throws Exception {
        Document d = parse(ClientReportJunit.render(ClientReportSamples.typical()));
        List<String> props = elements(d, "property").stream()
                .map(p -> p.getAttribute("name") + "=" + p.getAttribute("value")).toList();
        assertTrue(props.contains("profile=strict"), props.toString());
        assertTrue(props.contains("client.command=my-client --uri nbd://127.0.0.1:10809/disk"), props.toString());
        assertTrue(RequirementCatalog.standard().contains("C19"));
    }
}
