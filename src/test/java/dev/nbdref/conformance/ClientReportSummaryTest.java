package dev.nbdref.conformance;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The terminal summary names each violation's rule, place and bytes, and ends with the verdict. */
class ClientReportSummaryTest {

    @Test
    void eachViolationHasSeverityRuleWhereBytesAndReaction() {
        String text = ClientReportSummary.render(ClientReportSamples.typical());
        assertTrue(text.contains("  MUST   C19  Command flags are only those defined for the command\n"), text);
        assertTrue(text.contains("what:  flags 0x2 are not valid on NBD_CMD_WRITE\n"), text);
        assertTrue(text.contains("where: c1, TRANSMISSION, request 2, byte 112\n"), text);
        assertTrue(text.contains("bytes: 25609513 00020001 09\n"), text);
        assertTrue(text.contains("nbdref: EINVAL reply\n"), text);
        assertTrue(text.contains("  SHOULD C21"), text);
        assertTrue(text.contains("where: c2, OPTIONS, option 1, byte 20\n"), text);
        assertTrue(text.contains("violations: 2 MUST, 1 SHOULD, 0 MAY\n"), text);
        assertTrue(text.endsWith("result: FAIL: 2 MUST violations, 1 SHOULD/MAY-level deviation (reported, not"
                + " failing) (exit status 1)\n"), text);
    }

    @Test
    void clientTextCannotDriveTheTerminal() {
        ConnectionReport c = ClientReportSamples.transmission("c1", "bad \u001b[31mred\u001b[0m \r\n name");
        String text = ClientReportSummary.render(ClientReportSamples.report(List.of(c), null, null));
        assertFalse(text.contains("\u001b") || text.contains("\r"), text);
        assertTrue(text.contains("what:  bad \\x1b[31mred\\x1b[0m \\x0d\\x0a name\n"), text);
    }

    @Test
    void aFailedRunSaysWhy() {
        String text = ClientReportSummary.render(ClientReportSamples.report(List.of(),
                "cannot start the client \"nbd-cleint\": error=2, No such file or directory", null));
        assertTrue(text.contains("did not run"), text);
        assertTrue(text.contains("violations: none"), text);
        assertTrue(text.endsWith("result: ERROR: the run failed: cannot start the client \"nbd-cleint\": error=2, No"
                + " such file or directory (exit status 2)\n"), text);
    }
}
