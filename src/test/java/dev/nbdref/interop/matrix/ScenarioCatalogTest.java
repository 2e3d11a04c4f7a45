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
 * peer definition loads, every feature is exercised, bochs scenarios expect the manifest's content, inconsistent
 * server sections are refused, the committed baseline matches its schema and names only existing cells,
 * requirements and serve arguments behave, and a report built from cells validates against its schema.
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
                "fua", "copy", "convert-to-nbd", "convert-from-nbd", "tls-x509", "tls-psk", "nbd-client-tls",
                "dirty-bitmap", "bochs-export", "validator-clean")) {
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
                new Scenario.Export("disk", "file", "1M", null, true, null),
                new Scenario.Export("b", "memory", "64M", null, false, "Second, with comma")), 4096, null, List.of(),
                null, List.of());
        List<String> args = ServeArguments.of(server, new ServeArguments.Paths(ROOT, dir, dir.resolve("r.json")), null);
        assertEquals(List.of("--export", "disk=file:" + dir.resolve("disk.raw") + ",ro",
                "--export", "b=memory:64M,description=Second, with comma", "--min-block", "4096",
                "--report", dir.resolve("r.json").toString()), args);
        assertEquals(1 << 20, Files.size(dir.resolve("disk.raw")));
        assertEquals(3L << 30, ServeArguments.bytes("3G"));
        assertEquals(512, ServeArguments.bytes("512"));
    }

    @Test
    void everyFeatureIsExercisedAndEveryCapabilityIsOffered() throws IOException {
        ScenarioLoader.Catalog catalog = ScenarioLoader.load(ROOT.resolve("conformance/scenarios"));
        Set<String> used = catalog.scenarios().stream().flatMap(s -> s.features().stream()).collect(Collectors.toSet());
        for (ScenarioLoader.Feature f : catalog.features()) {
            assertTrue(used.contains(f.id()), "features.json lists " + f.id() + " but no scenario exercises it");
        }
        JsonNode schema = JSON.readTree(Files.readString(ROOT.resolve(ScenarioLoader.SCHEMA)));
        Set<String> offered = Set.of(ContainerMatrixInteropTest.SERVER_CAPABILITIES.split(","));
        for (JsonNode capability : schema.at("/$defs/requirement/properties/server/enum")) {
            assertTrue(offered.contains(capability.asString()), "nbdref offers " + capability + " but the matrix does not say so");
        }
        for (Scenario s : catalog.scenarios()) {
            assertTrue(offered.containsAll(Requirements.implied(s.server())), s.id() + " needs " + Requirements.implied(s.server()));
        }
    }

    /** A bochs scenario's expected checksums come from fixtures/bochs/manifest.json, not from a run of nbdref. */
    @Test
    void bochsScenariosExpectTheManifestContent() throws IOException {
        JsonNode manifest = JSON.readTree(Files.readString(ROOT.resolve("fixtures/bochs/manifest.json")));
        Map<String, String> shaByFile = new java.util.HashMap<>();
        for (JsonNode f : manifest.path("fixtures")) {
            shaByFile.put("fixtures/bochs/" + f.path("file").asString(), f.at("/expected/lenient/sha256").asString());
        }
        int checked = 0;
        for (Scenario s : ScenarioLoader.load(ROOT.resolve("conformance/scenarios")).scenarios()) {
            List<String> images = s.server().exports().stream().filter(Scenario.Export::isBochs).map(Scenario.Export::image).toList();
            if (images.isEmpty()) {
                continue;
            }
            Set<String> expected = images.stream().map(i -> {
                assertTrue(Files.isRegularFile(ROOT.resolve(i)), s.id() + ": no fixture " + i);
                assertTrue(shaByFile.containsKey(i) && !shaByFile.get(i).isEmpty(), s.id() + ": " + i + " has no content in the manifest");
                return shaByFile.get(i);
            }).collect(Collectors.toSet());
            for (Scenario.FileCheck check : s.expect().files()) {
                assertTrue(check.sha256() == null || expected.contains(check.sha256()),
                        s.id() + ": " + check.path() + " expects " + check.sha256() + ", which no fixture of the scenario has");
                checked += check.sha256() == null ? 0 : 1;
            }
        }
        assertTrue(checked >= 2, "no bochs scenario checks content against the manifest");
    }

    @Test
    void inconsistentServerSectionsAreRejected(@TempDir Path dir) throws IOException {
        Files.copy(ROOT.resolve("conformance/scenarios/features.json"), dir.resolve("features.json"));
        String info = Files.readString(ROOT.resolve("conformance/scenarios/qemu-img-info.json"));
        Files.writeString(dir.resolve("qemu-img-info.json"), info.replace("qemu-img info", "ls {tlsdir}; qemu-img info"));
        IllegalArgumentException tls = assertThrows(IllegalArgumentException.class, () -> ScenarioLoader.load(dir));
        assertTrue(tls.getMessage().contains("{tlsdir} but server.tls is not set"), tls.getMessage());

        String bitmap = Files.readString(ROOT.resolve("conformance/scenarios/dirty-bitmap.json"));
        Files.delete(dir.resolve("qemu-img-info.json"));
        Files.writeString(dir.resolve("dirty-bitmap.json"), bitmap.replace("\"size\": \"64M\"", "\"size\": \"64M\", \"readOnly\": true"));
        IllegalArgumentException ro = assertThrows(IllegalArgumentException.class, () -> ScenarioLoader.load(dir));
        assertTrue(ro.getMessage().contains("needs a writable memory or file export"), ro.getMessage());

        // a validator scenario cannot excuse a MUST violation: the schema forbids an allow list there
        String validator = Files.readString(ROOT.resolve("conformance/scenarios/validator-qemu-img-info.json"));
        Files.delete(dir.resolve("dirty-bitmap.json"));
        Files.writeString(dir.resolve("validator-qemu-img-info.json"), validator.replace("\"maxMust\": 0,",
                "\"maxMust\": 0, \"allow\": [{\"requirement\": \"C17\", \"reason\": \"no\"}],"));
        IllegalArgumentException allow = assertThrows(IllegalArgumentException.class, () -> ScenarioLoader.load(dir));
        assertTrue(allow.getMessage().contains("interop-scenario.schema.json"), allow.getMessage());
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
        Scenario.Server server = new Scenario.Server(List.of(new Scenario.Export("disk", "memory", "64M", null, false, null)),
                null, null, List.of(), null, List.of());
        Scenario.Expect expect = new Scenario.Expect(0, List.of(), List.of(), List.of(), List.of(), List.of(),
                Scenario.ViolationRule.DEFAULT);
        return new Scenario("x", "x", List.of("info"), requires, server, "true", 60, expect);
    }
}
