package dev.nbdref.interop.matrix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.spec.JsonSchemas;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The interop matrix's data and pure logic, without Docker (a unit test, run by surefire): every scenario and
 * peer definition loads, the committed baseline matches its schema and names only existing cells, requirements
 * and substitutions behave, and a report built from cells validates against its schema.
 */
class ScenarioCatalogTest {

    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyScenarioLoadsAndUsesOnlyCatalogFeatures() {
        ScenarioLoader.Catalog catalog = ScenarioLoader.load(ROOT.resolve("conformance/scenarios"));
        assertTrue(catalog.scenarios().size() >= 15, "scenarios: " + catalog.scenarios().size());
        Set<String> used = catalog.scenarios().stream().flatMap(s -> s.features().stream()).collect(Collectors.toSet());
        for (String feature : List.of("listing", "info", "negotiation", "block-status", "write-zeroes", "trim", "flush",
                "fua", "copy", "convert-to-nbd", "convert-from-nbd")) {
            assertTrue(used.contains(feature), "no scenario exercises " + feature);
        }
    }

    @Test
    void everyPeerImageIsDefinedForBothBuilds() throws IOException {
        List<PeerImage> peers = PeerImage.loadAll(ROOT.resolve("conformance/peers"));
        assertEquals(Set.of("bookworm", "trixie"), peers.stream().map(PeerImage::name).collect(Collectors.toSet()));
        for (PeerImage peer : peers) {
            String dockerfile = Files.readString(ROOT.resolve("conformance/peers").resolve(peer.name()).resolve("Dockerfile"));
            assertTrue(dockerfile.contains("FROM debian:" + peer.suite() + "-slim"), peer + " Dockerfile");
            assertEquals("nbdref-peer:" + peer.name(), peer.image());
        }
    }

    @Test
    void theBaselineMatchesItsSchemaAndNamesExistingCells() throws IOException {
        Path baseline = ROOT.resolve("reports/interop-baseline.json");
        JsonNode root = JSON.readTree(Files.readString(baseline));
        assertEquals(List.of(), JsonSchemas.errors(root, MatrixReport.SCHEMA));
        Set<String> scenarios = ScenarioLoader.load(ROOT.resolve("conformance/scenarios")).scenarios().stream()
                .map(Scenario::id).collect(Collectors.toSet());
        Set<String> peers = PeerImage.loadAll(ROOT.resolve("conformance/peers")).stream().map(PeerImage::name)
                .collect(Collectors.toSet());
        for (JsonNode cell : root.path("cells")) {
            assertTrue(scenarios.contains(cell.path("scenario").asString()), "baseline names a missing scenario: " + cell);
            assertTrue(peers.contains(cell.path("peer").asString()), "baseline names a missing peer: " + cell);
        }
    }

    @Test
    void aScenarioWithAnUnknownFeatureOrAWrongIdIsRejected(@TempDir Path dir) throws IOException {
        Files.copy(ROOT.resolve("conformance/scenarios/features.json"), dir.resolve("features.json"));
        String valid = Files.readString(ROOT.resolve("conformance/scenarios/qemu-img-info.json"));
        Files.writeString(dir.resolve("qemu-img-info.json"), valid.replace("\"info\"", "\"no-such-feature\""));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> ScenarioLoader.load(dir));
        assertTrue(unknown.getMessage().contains("no-such-feature"), unknown.getMessage());

        Files.delete(dir.resolve("qemu-img-info.json"));
        Files.writeString(dir.resolve("renamed.json"), valid);
        IllegalArgumentException renamed = assertThrows(IllegalArgumentException.class, () -> ScenarioLoader.load(dir));
        assertTrue(renamed.getMessage().contains("differs from the file name"), renamed.getMessage());

        Files.writeString(dir.resolve("renamed.json"), valid.replace("\"command\"", "\"comand\""));
        IllegalArgumentException schema = assertThrows(IllegalArgumentException.class, () -> ScenarioLoader.load(dir));
        assertTrue(schema.getMessage().contains("interop-scenario.schema.json"), schema.getMessage());
    }

    @Test
    void versionsCompareNumerically() {
        assertTrue(Requirements.compare("1.14.2", "1.20") < 0);
        assertTrue(Requirements.compare("1.22.2", "1.20") > 0);
        assertEquals(0, Requirements.compare("10.0", "10.0.0"));
        assertTrue(Requirements.compare("10.0.13", "7.2") > 0);
    }

    @Test
    void unmetRequirementsGiveTheirReasons() {
        Scenario.Requirement libnbd = new Scenario.Requirement("libnbd", "1.20", null, null, null, "needs --cannot");
        Scenario.Requirement server = new Scenario.Requirement(null, null, null, null, "tls-psk", "needs TLS-PSK");
        Scenario scenario = scenario(List.of(libnbd, server));
        PeerImage peer = new PeerImage("bookworm", "nbdref-peer:bookworm", "bookworm", "");
        List<String> reasons = Requirements.unmet(scenario, peer, Map.of("libnbd", "1.14.2"), Set.of());
        assertEquals(2, reasons.size(), reasons.toString());
        assertTrue(reasons.get(0).startsWith("needs --cannot (libnbd 1.14.2 < 1.20)"), reasons.toString());
        assertTrue(Requirements.unmet(scenario, peer, Map.of("libnbd", "1.22.2"), Set.of("tls-psk")).isEmpty());
    }

    @Test
    void serveArgumentsAndSubstitutions(@TempDir Path dir) throws IOException {
        Scenario.Server server = new Scenario.Server(List.of(
                new Scenario.Export("disk", "file", "1M", true, null),
                new Scenario.Export("b", "memory", "64M", false, "Second, with comma")), 4096, null, List.of(), List.of());
        List<String> args = CellRunner.serveArguments(server, dir, dir.resolve("r.json"));
        assertEquals(List.of("--export", "disk=file:" + dir.resolve("disk.raw") + ",ro",
                "--export", "b=memory:64M,description=Second, with comma", "--min-block", "4096",
                "--report", dir.resolve("r.json").toString()), args);
        assertEquals(1 << 20, Files.size(dir.resolve("disk.raw")));
        assertEquals(3L << 30, CellRunner.bytes("3G"));
        assertEquals(512, CellRunner.bytes("512"));
    }

    @Test
    void aReportOfCellsValidatesAndRendersEscaped() {
        ScenarioLoader.Catalog catalog = ScenarioLoader.load(ROOT.resolve("conformance/scenarios"));
        MatrixReport report = new MatrixReport(catalog, Set.of());
        PeerImage peer = new PeerImage("bookworm", "nbdref-peer:bookworm", "bookworm", "Debian <12>");
        report.addPeer(new MatrixReport.PeerEntry(peer, "sha256:1", "abc", Map.of("qemu", "7.2.22"), null));
        report.addCell(new CellResult("bookworm", "qemu-img-info", CellResult.Status.PASS, List.of(), "qemu-img info x",
                0, 1200, new CellResult.Violations(1, 0, 0, List.of()), "details"));
        report.addCell(new CellResult("bookworm", "nbdinfo-map", CellResult.Status.FAIL, List.of("stdout lacks /<x>/"),
                "nbdinfo --map x", 1, 900, new CellResult.Violations(1, 1, 0, List.of("C17")), "log & more"));
        report.addCell(CellResult.unsupported("bookworm", "extended-headers", List.of("needs extended headers")));
        JsonNode json = report.toJson(List.of("bookworm/nbdinfo-map"));
        assertEquals(List.of(), JsonSchemas.errors(json, MatrixReport.SCHEMA));
        assertEquals(1, json.path("summary").path("byPeer").path("bookworm").path("fail").asInt());

        String html = MatrixHtml.render(json);
        assertTrue(html.contains("stdout lacks /&lt;x&gt;/"), "reasons are escaped");
        assertTrue(html.contains("Debian &lt;12&gt;"));
        for (String external : List.of("<script", "<link", "src=", "url(")) {
            assertFalse(html.contains(external), "the page must be self-contained, but has " + external);
        }
        String xml = MatrixJunitXml.render(json);
        assertTrue(xml.contains("<testcase classname=\"interop.bookworm\" name=\"nbdinfo-map\""), xml);
        assertTrue(xml.contains("<skipped message=\"unsupported: needs extended headers\"/>"), xml);
    }

    private static Scenario scenario(List<Scenario.Requirement> requires) {
        Scenario.Server server = new Scenario.Server(List.of(new Scenario.Export("disk", "memory", "64M", false, null)),
                null, null, List.of(), List.of());
        Scenario.Expect expect = new Scenario.Expect(0, List.of(), List.of(), List.of(), List.of(), List.of(),
                Scenario.ViolationRule.DEFAULT);
        return new Scenario("x", "x", List.of("info"), requires, server, "true", 60, expect);
    }
}
