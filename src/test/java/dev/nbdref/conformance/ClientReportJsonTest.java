package dev.nbdref.conformance;

import dev.nbdref.spec.JsonSchemas;
import dev.nbdref.spec.Party;
import dev.nbdref.spec.RequirementCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JSON client report: valid against its schema in every outcome, with counts that add up. */
class ClientReportJsonTest {
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void typicalReportMatchesTheSchemaAndCounts() {
        JsonNode root = ClientReportJson.toJson(ClientReportSamples.typical());
        assertEquals(List.of(), JsonSchemas.errors(root, ClientReportJson.SCHEMA));
        JsonNode summary = root.get("summary");
        assertEquals(2, summary.get("connections").asInt());
        assertEquals(3, summary.get("violations").asInt());
        assertEquals(2, summary.get("must").asInt()); // C19 on c1, C17 on c2
        assertEquals(1, summary.get("should").asInt()); // C21
        assertEquals("fail", root.get("result").get("status").asString());
        assertEquals(1, root.get("result").get("exitStatus").asInt());
        assertEquals("strict", root.get("profile").get("name").asString());
        assertEquals(0, root.get("client").get("exitStatus").asInt());
        assertEquals(420, root.get("client").get("elapsedMs").asInt());

        JsonNode c1 = root.get("connections").get(0);
        assertEquals("TRANSMISSION", c1.get("phaseReached").asString());
        assertEquals(2, c1.get("commands").get("NBD_CMD_WRITE").asInt());
        JsonNode greeting = c1.get("transcript").get(0);
        assertEquals("server", greeting.get("from").asString());
        assertTrue(greeting.get("byteOffset").isNull());
        assertEquals(67, c1.get("transcript").get(7).get("byteOffset").asInt());
        JsonNode v = c1.get("violations").get(0);
        assertEquals("C19", v.get("requirement").asString());
        assertEquals("2560951300020001" + "09", v.get("excerptHex").asString());
        assertEquals("OPTIONS", root.get("connections").get(1).get("phaseReached").asString());
        assertTrue(root.get("connections").get(1).get("export").isNull());
    }

    @Test
    void coverageListsEveryClientRuleWithWhatTheClientExercised() {
        JsonNode coverage = ClientReportJson.toJson(ClientReportSamples.typical()).get("coverage");
        long clientRules = RequirementCatalog.standard().all().stream().filter(r -> r.party() == Party.CLIENT).count();
        assertEquals(clientRules, coverage.get("rules").size());
        assertEquals(clientRules, coverage.get("checked").asInt() + coverage.get("notExercised").asInt()
                + coverage.get("notObservable").asInt());
        assertEquals(3, coverage.get("violated").asInt()); // C17, C19, C21
        assertEquals("violated", status(coverage, "C19"));
        assertEquals("passed", status(coverage, "C12")); // SET_META_CONTEXT sent
        assertEquals("passed", status(coverage, "C27")); // GO asked BLOCK_SIZE, then READ
        assertEquals("not-exercised", status(coverage, "C24")); // no BLOCK_STATUS
        assertEquals("not-exercised", status(coverage, "C16")); // no shutdown announced
        assertEquals("not-observable", status(coverage, "C36"));
    }

    @Test
    void aFailedRunIsStillAValidReport() {
        ClientReport r = ClientReportSamples.report(List.of(), "cannot start the client \"nbd-cleint\": not found", null);
        JsonNode root = ClientReportJson.toJson(r);
        assertEquals(List.of(), JsonSchemas.errors(root, ClientReportJson.SCHEMA));
        assertEquals("error", root.get("result").get("status").asString());
        assertEquals(2, root.get("result").get("exitStatus").asInt());
        assertTrue(root.get("result").get("message").asString().contains("nbd-cleint"));
        assertTrue(root.get("client").get("exitStatus").isNull());
        assertEquals(0, root.get("coverage").get("checked").asInt());
    }

    @Test
    void shouldLevelDeviationsAloneDoNotFailTheRun() {
        ConnectionRecorder rec = new ConnectionRecorder(RequirementCatalog.standard(), "c1");
        rec.record("C30", Phase.TRANSMISSION, 1, 40, "zero-length NBD_CMD_READ", null, "answered as a no-op");
        rec.ended("NBD_CMD_DISC");
        ClientReport r = ClientReportSamples.report(List.of(ConnectionReport.of(rec, "/127.0.0.1:1",
                ClientReportSamples.T0, ClientReportSamples.T0, "disk")), null, null);
        assertEquals(0, r.exitStatus());
        assertEquals("pass", r.status());
        assertTrue(r.resultMessage().contains("1 SHOULD/MAY-level deviation"), r.resultMessage());
    }

    @Test
    void writeValidatesAndReplacesTheFileWhole(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("sub/report.json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, "old");
        ClientReportJson.write(ClientReportSamples.typical(), out);
        JsonNode root = json.readTree(Files.readString(out));
        assertEquals(List.of(), JsonSchemas.errors(root, ClientReportJson.SCHEMA));
        assertTrue(Files.getPosixFilePermissions(out).contains(PosixFilePermission.OTHERS_READ), "a report is not secret");
        try (var files = Files.list(out.getParent())) {
            assertEquals(List.of(out), files.toList(), "no temporary file left behind");
        }
    }

    @Test
    void theSchemaIsStrictAboutWhatTheWriterMustNeverProduce() {
        ObjectNode extra = ClientReportJson.toJson(ClientReportSamples.typical());
        extra.put("unexpected", 1);
        assertFalse(JsonSchemas.errors(extra, ClientReportJson.SCHEMA).isEmpty());

        ObjectNode serverRule = ClientReportJson.toJson(ClientReportSamples.typical());
        ((ObjectNode) serverRule.get("connections").get(0).get("violations").get(0)).put("requirement", "S01");
        assertFalse(JsonSchemas.errors(serverRule, ClientReportJson.SCHEMA).isEmpty());

        ObjectNode badExit = ClientReportJson.toJson(ClientReportSamples.typical());
        ((ObjectNode) badExit.get("result")).put("exitStatus", 3);
        assertFalse(JsonSchemas.errors(badExit, ClientReportJson.SCHEMA).isEmpty());
    }

    private static String status(JsonNode coverage, String id) {
        for (JsonNode r : coverage.get("rules")) if (r.get("id").asString().equals(id)) return r.get("status").asString();
        throw new AssertionError(id + " is missing from the coverage");
    }
}
