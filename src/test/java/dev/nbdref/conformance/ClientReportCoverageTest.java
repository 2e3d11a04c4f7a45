package dev.nbdref.conformance;

import dev.nbdref.spec.Party;
import dev.nbdref.spec.Requirement;
import dev.nbdref.spec.RequirementCatalog;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The coverage table (client-rule-coverage.json) stays complete and in step with the server's checks. */
class ClientReportCoverageTest {

    @Test
    void everyClientRuleOfTheCatalogIsDescribed() {
        Set<String> clientRules = RequirementCatalog.standard().all().stream().filter(r -> r.party() == Party.CLIENT)
                .map(Requirement::id).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(clientRules, new TreeSet<>(ClientReportCoverage.describedRules()));
    }

    /**
     * A rule the server records but the table calls unobservable would be reported as violated yet never as
     * passed: every client rule ID in the server's and codec's code must be checkable.
     */
    @Test
    void everyRuleTheServerRecordsIsCheckable() throws IOException {
        Set<String> recorded = new TreeSet<>();
        Pattern id = Pattern.compile("\"(C\\d\\d)\"");
        Path project = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        for (String dir : List.of("src/main/java/dev/nbdref/server", "src/main/java/dev/nbdref/wire")) {
            try (Stream<Path> files = Files.walk(project.resolve(dir))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    Matcher m = id.matcher(Files.readString(f));
                    while (m.find()) recorded.add(m.group(1));
                }
            }
        }
        assertTrue(recorded.size() > 20, "found only " + recorded);
        Set<String> missing = new TreeSet<>(recorded);
        missing.removeAll(ClientReportCoverage.checkableRules());
        assertEquals(Set.of(), missing, "rules the server records but client-rule-coverage.json cannot exercise");
    }

    @Test
    void shutdownRulesAreExercisedOnlyWhenTheServerAnnouncedAShutdown() {
        ConnectionRecorder rec = new ConnectionRecorder(RequirementCatalog.standard(), "c1");
        for (int i = 0; i < 5; i++) rec.command("NBD_CMD_READ");
        rec.command("NBD_CMD_DISC");
        List<ConnectionReport> conns = List.of(ConnectionReport.of(rec, "p", ClientReportSamples.T0,
                ClientReportSamples.T0, "disk"));
        assertEquals(ClientReportCoverage.Status.PASSED,
                ClientReportSamples.statuses(ClientReportSamples.report(conns, null, 3)).get("C16"));
        assertEquals(ClientReportCoverage.Status.NOT_EXERCISED,
                ClientReportSamples.statuses(ClientReportSamples.report(conns, null, 6)).get("C16"));
        assertEquals(ClientReportCoverage.Status.NOT_EXERCISED,
                ClientReportSamples.statuses(ClientReportSamples.report(conns, null, null)).get("C16"));
    }

    @Test
    void extendedHeaderRulesNeedTheOptionAcknowledged() {
        ConnectionRecorder rec = new ConnectionRecorder(RequirementCatalog.standard(), "c1");
        rec.transcript(Phase.OPTIONS, true, 4, "NBD_OPT_EXTENDED_HEADERS");
        rec.transcript(Phase.OPTIONS, false, -1, "NBD_REP_ERR_UNSUP \"not offered\"");
        rec.command("NBD_CMD_WRITE");
        List<ConnectionReport> refused = List.of(ConnectionReport.of(rec, "p", ClientReportSamples.T0,
                ClientReportSamples.T0, "disk"));
        assertEquals(ClientReportCoverage.Status.NOT_EXERCISED,
                ClientReportSamples.statuses(ClientReportSamples.report(refused, null, null)).get("C50"));

        ConnectionRecorder ok = new ConnectionRecorder(RequirementCatalog.standard(), "c2");
        ok.transcript(Phase.OPTIONS, true, 4, "NBD_OPT_EXTENDED_HEADERS");
        ok.transcript(Phase.OPTIONS, false, -1, "NBD_REP_ACK");
        ok.command("NBD_CMD_WRITE");
        List<ConnectionReport> acked = List.of(ConnectionReport.of(ok, "p", ClientReportSamples.T0,
                ClientReportSamples.T0, "disk"));
        assertEquals(ClientReportCoverage.Status.PASSED,
                ClientReportSamples.statuses(ClientReportSamples.report(acked, null, null)).get("C50"));
    }

    @Test
    void aViolationCountsAsExercisedWhateverTheTableSays() {
        ConnectionRecorder rec = new ConnectionRecorder(RequirementCatalog.standard(), "c1");
        rec.record("C01", Phase.HANDSHAKE, 0, 0, "client flags 0x80000003", new byte[] {(byte) 0x80, 0, 0, 3},
                "hard disconnect"); // no transcript entry for the flags: the table alone would say not exercised
        List<ConnectionReport> conns = List.of(ConnectionReport.of(rec, "p", ClientReportSamples.T0,
                ClientReportSamples.T0, null));
        assertEquals(ClientReportCoverage.Status.VIOLATED,
                ClientReportSamples.statuses(ClientReportSamples.report(conns, null, null)).get("C01"));
    }

    @Test
    void anUnknownConditionIsABugNotASilentPass() {
        assertThrows(IllegalStateException.class, () -> ClientReportCoverage.condition("C99", "sentSomething"));
    }
}
