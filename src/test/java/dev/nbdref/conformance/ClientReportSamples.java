package dev.nbdref.conformance;

import dev.nbdref.spec.RequirementCatalog;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Client reports built the way check-client builds them, from recorders fed like the server feeds them. */
final class ClientReportSamples {
    static final Instant T0 = Instant.parse("2025-01-02T03:04:05Z");

    private ClientReportSamples() {
    }

    /** A connection that negotiated SR, a context and GO with BLOCK_SIZE, then sent reads, writes and DISC. */
    static ConnectionReport transmission(String id, String... violationDetails) {
        ConnectionRecorder r = new ConnectionRecorder(RequirementCatalog.standard(), id);
        r.transcript(Phase.HANDSHAKE, false, -1, "greeting, handshake flags 0x0003");
        r.transcript(Phase.HANDSHAKE, true, 0, "client flags 0x00000003");
        r.transcript(Phase.OPTIONS, true, 4, "NBD_OPT_STRUCTURED_REPLY");
        r.transcript(Phase.OPTIONS, false, -1, "NBD_REP_ACK");
        r.transcript(Phase.OPTIONS, true, 20, "NBD_OPT_SET_META_CONTEXT name=\"disk\" queries=[base:allocation]");
        r.transcript(Phase.OPTIONS, false, -1, "NBD_REP_META_CONTEXT id=1 \"base:allocation\"");
        r.transcript(Phase.OPTIONS, false, -1, "NBD_REP_ACK");
        r.transcript(Phase.OPTIONS, true, 67, "NBD_OPT_GO name=\"disk\" info=[BLOCK_SIZE]");
        r.transcript(Phase.OPTIONS, false, -1, "NBD_REP_ACK");
        r.command("NBD_CMD_READ");
        r.command("NBD_CMD_WRITE");
        r.command("NBD_CMD_WRITE");
        r.command("NBD_CMD_DISC");
        r.record("C19", Phase.TRANSMISSION, 2, 112, violationDetails.length > 0 ? violationDetails[0]
                : "flags 0x2 are not valid on NBD_CMD_WRITE", new byte[] {0x25, 0x60, (byte) 0x95, 0x13, 0, 2, 0, 1, 9},
                "EINVAL reply");
        r.record("C21", Phase.TRANSMISSION, 3, 140, "FUA on NBD_CMD_READ, which writes nothing", null, "accepted, ignored");
        r.ended("NBD_CMD_DISC");
        return ConnectionReport.of(r, "/127.0.0.1:40000", T0, T0.plusMillis(300), "disk");
    }

    /** A connection that only listed exports and closed without ABORT. */
    static ConnectionReport listOnly(String id) {
        ConnectionRecorder r = new ConnectionRecorder(RequirementCatalog.standard(), id);
        r.transcript(Phase.HANDSHAKE, false, -1, "greeting, handshake flags 0x0003");
        r.transcript(Phase.HANDSHAKE, true, 0, "client flags 0x00000001");
        r.transcript(Phase.OPTIONS, true, 4, "NBD_OPT_LIST");
        r.transcript(Phase.OPTIONS, false, -1, "NBD_REP_SERVER \"disk\"");
        r.transcript(Phase.OPTIONS, false, -1, "NBD_REP_ACK");
        r.record("C17", Phase.OPTIONS, 1, 20, "the client closed the connection during option haggling without"
                + " NBD_OPT_ABORT", null, "connection closed");
        r.ended("client closed the connection during negotiation");
        return ConnectionReport.of(r, "/127.0.0.1:40001", T0, T0.plusMillis(10), null);
    }

    static ClientReport report(List<ConnectionReport> connections, String failure, Integer shutdownAfter) {
        List<ClientReportCoverage.RuleStatus> coverage = ClientReportCoverage.of(RequirementCatalog.standard(),
                connections, ClientReportFacts.of(connections, shutdownAfter));
        ClientReport.ClientProcess client = failure == null
                ? new ClientReport.ClientProcess(0, false, Duration.ofMillis(420))
                : ClientReport.ClientProcess.NOT_STARTED;
        return new ClientReport("test", "strict", "advertise everything, enforce everything (default)",
                List.of("nbd://127.0.0.1:10809/disk"), List.of("my-client", "--uri", "nbd://127.0.0.1:10809/disk"),
                T0, T0.plusSeconds(2), client, failure, connections, coverage);
    }

    static ClientReport typical() {
        return report(List.of(transmission("c1"), listOnly("c2")), null, null);
    }

    /** Rule statuses by ID, for assertions. */
    static Map<String, ClientReportCoverage.Status> statuses(ClientReport r) {
        return r.coverage().stream().collect(java.util.stream.Collectors.toMap(s -> s.rule().id(),
                ClientReportCoverage.RuleStatus::status));
    }
}
