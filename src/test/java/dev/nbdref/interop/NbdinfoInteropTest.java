package dev.nbdref.interop;

import static dev.nbdref.interop.TestData.KIB;
import static dev.nbdref.interop.TestData.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nbdref.interop.AllocationMap.Range;
import dev.nbdref.testing.Verifies;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** nbdinfo (libnbd) against nbdref: listing, export information and block status. */
class NbdinfoInteropTest {

    private static final String DESCRIPTION = "First test disk";

    /**
     * nbdinfo --list (LIST, then INFO per export) shows both exports by name, the description of the one that
     * has one, and each export's size.
     */
    @Test
    @Verifies({"S06", "S12"})
    void listShowsBothExportsAndTheDescription() {
        try (NbdrefProcess server = twoExports()) {
            String base = "nbd://127.0.0.1:" + server.port() + "/";
            PeerResult text = PeerCommand.of("nbdinfo", "--list", base).run().assertSuccess(server);
            assertTrue(text.stdout().contains("export=\"alpha\""), text.describe());
            assertTrue(text.stdout().contains("export=\"beta\""), text.describe());
            assertTrue(text.stdout().contains("description: " + DESCRIPTION), text.describe());

            PeerResult json = PeerCommand.of("nbdinfo", "--list", "--json", base).run().assertSuccess(server);
            Map<String, JsonNode> exports = exportsByName(json);
            assertEquals(2, exports.size(), json.describe());
            assertEquals(DESCRIPTION, text(exports.get("alpha"), "description"), json.describe());
            assertEquals(16L * MIB, exports.get("alpha").get("export-size").asLong(), json.describe());
            assertEquals(32L * MIB, exports.get("beta").get("export-size").asLong(), json.describe());
        }
    }

    /**
     * nbdinfo --json on one export reports its exact size and read-only state: a {@code ,ro} export is
     * read-only, a plain memory export is writable and advertises flush, FUA, trim, write-zeroes, cache,
     * multi-conn and the base:allocation context.
     */
    @Test
    @Verifies({"S12", "S62"})
    void jsonReportsSizeAndReadOnlyState() {
        try (NbdrefProcess server = twoExports()) {
            JsonNode beta = singleExport(server, "beta");
            assertEquals(32L * MIB, beta.get("export-size").asLong(), beta.toString());
            assertTrue(beta.get("is_read_only").asBoolean(), beta.toString());

            JsonNode alpha = singleExport(server, "alpha");
            assertEquals(16L * MIB, alpha.get("export-size").asLong(), alpha.toString());
            for (String flag : List.of("can_flush", "can_fua", "can_trim", "can_zero", "can_cache", "can_multi_conn")) {
                assertTrue(alpha.path(flag).asBoolean(), flag + " in " + alpha);
            }
            assertEquals(false, alpha.get("is_read_only").asBoolean(), alpha.toString());
            assertTrue(alpha.path("contexts").toString().contains("base:allocation"), alpha.toString());
        }
    }

    /**
     * nbdinfo --map (BLOCK_STATUS on base:allocation) after qemu-io writes: data at the written ranges,
     * zero at the zeroed one, hole,zero elsewhere, extents consecutive from 0 to the export size.
     */
    @Test
    @Verifies({"S63", "S64", "S66", "S67"})
    void mapShowsWhereDataWasWritten() {
        try (NbdrefProcess server = NbdrefProcess.start("--export", "disk=memory:16M")) {
            String uri = server.uri("disk");
            PeerCommand.of("qemu-io", "-f", "raw",
                    "-c", "write -P 0x11 0 4k",
                    "-c", "write -P 0x22 5M 128k",
                    "-c", "write -P 0x33 9M 1M",
                    "-c", "write -z -u 9M 1M",
                    "-c", "write -P 0x44 15M 1M",
                    uri).run().assertSuccess(server);
            PeerResult map = PeerCommand.of("nbdinfo", "--map", uri).run().assertSuccess(server);
            AllocationMap.fromNbdinfo(map.stdout())
                    .assertCovers(16L * MIB)
                    .assertAgrees(List.of(new Range(0, 4 * KIB), new Range(5L * MIB, 128 * KIB),
                                    new Range(15L * MIB, MIB)),
                            List.of(new Range(9L * MIB, MIB)), 64 * KIB);
        }
    }

    private static NbdrefProcess twoExports() {
        return NbdrefProcess.start("--export", "alpha=memory:16M,description=" + DESCRIPTION,
                "--export", "beta=memory:32M,ro");
    }

    private static JsonNode singleExport(NbdrefProcess server, String name) {
        PeerResult json = PeerCommand.of("nbdinfo", "--json", server.uri(name)).run().assertSuccess(server);
        Map<String, JsonNode> exports = exportsByName(json);
        if (!exports.containsKey(name)) {
            fail("nbdinfo did not report export " + name + "\n" + json.describe());
        }
        return exports.get(name);
    }

    private static Map<String, JsonNode> exportsByName(PeerResult json) {
        Map<String, JsonNode> byName = new HashMap<>();
        for (JsonNode export : new ObjectMapper().readTree(json.stdout()).path("exports")) {
            byName.put(text(export, "export-name"), export);
        }
        return byName;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null ? null : value.asString();
    }
}
