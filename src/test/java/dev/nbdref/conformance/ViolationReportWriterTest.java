package dev.nbdref.conformance;

import dev.nbdref.spec.JsonSchemas;
import dev.nbdref.spec.RequirementCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ViolationReportWriterTest {

    @Test
    void reportIsValidJsonCountingSeverities(@TempDir Path dir) throws Exception {
        ConnectionRecorder rec = new ConnectionRecorder(RequirementCatalog.standard(), "c1");
        rec.record("C19", Phase.TRANSMISSION, 3, 84, "NO_HOLE on WRITE", new byte[] {0x25, 0x60}, "EINVAL reply");
        rec.record("C21", Phase.TRANSMISSION, 4, 112, "FUA on READ", null, "accepted");
        Path out = dir.resolve("sub/report.json");
        ViolationReportWriter w = new ViolationReportWriter(out);
        w.add(new ConnectionReport("c1", "/127.0.0.1:5", Instant.EPOCH, Instant.EPOCH, "disk", rec.violations(), 0));
        JsonNode root = new ObjectMapper().readTree(Files.readString(out));
        assertEquals(List.of(), JsonSchemas.errors(root, ViolationReportWriter.SCHEMA));
        assertEquals(2, root.get("summary").get("violations").asInt());
        assertEquals(1, root.get("summary").get("must").asInt());
        assertEquals(1, root.get("summary").get("should").asInt());
        JsonNode v = root.get("connections").get(0).get("violations").get(0);
        assertEquals("C19", v.get("requirement").asString());
        assertEquals("2560", v.get("excerptHex").asString());
        assertEquals(84, v.get("byteOffset").asInt());
    }

    @Test
    void unknownRequirementIdsAreABugNotAReport() {
        ConnectionRecorder rec = new ConnectionRecorder(RequirementCatalog.standard(), "c1");
        assertThrows(IllegalArgumentException.class,
                () -> rec.record("C999", Phase.OPTIONS, 1, 0, "x", null, "none"));
        assertTrue(rec.violations().isEmpty());
    }
}
