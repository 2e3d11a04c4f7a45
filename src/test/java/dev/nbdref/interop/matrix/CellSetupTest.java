package dev.nbdref.interop.matrix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a cell is set up and judged, without Docker: the serve arguments of TLS, bitmap, bochs and validator
 * scenarios, the TLS placeholders, the capabilities a server section implies, and the violation tally that
 * rates each rule by spec/requirements.json.
 */
class CellSetupTest {

    private static final Path ROOT = Path.of("").toAbsolutePath();

    private static Scenario load(String id) {
        return ScenarioLoader.load(ROOT.resolve("conformance/scenarios")).scenarios().stream()
                .filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }

    private static ServeArguments.Paths paths(Path dir) {
        return new ServeArguments.Paths(ROOT, dir, dir.resolve("r.json"));
    }

    @Test
    void tlsScenariosServeTheRunsCredentials(@TempDir Path dir) throws IOException {
        TlsCredentials tls = new TlsCredentials(dir.resolve("pki"));
        List<String> x509 = ServeArguments.of(load("tls-x509-qemu").server(), paths(dir), tls);
        assertTrue(String.join(" ", x509).contains("--tls-mode require --tls-x509 " + tls.dir() + " --tls-verify-peer"), x509.toString());
        List<String> psk = ServeArguments.of(load("tls-psk-libnbd").server(), paths(dir), tls);
        assertTrue(String.join(" ", psk).contains("--tls-mode on --tls-psk " + tls.dir().resolve("keys.psk")), psk.toString());
        assertTrue(!psk.contains("--tls-verify-peer"), psk.toString());
    }

    @Test
    void bitmapBochsAndValidatorArguments(@TempDir Path dir) throws IOException {
        List<String> bitmap = ServeArguments.of(load("dirty-bitmap").server(), paths(dir), null);
        assertTrue(String.join(" ", bitmap).contains("--export disk=file:" + dir.resolve("disk.raw") + " --bitmap disk:b0:65536"),
                bitmap.toString());
        List<String> bochs = ServeArguments.of(load("bochs-export").server(), paths(dir), null);
        assertEquals("g=bochs:" + ROOT.resolve("fixtures/bochs/029-growing-v2.img"), bochs.get(1));
        assertTrue(bochs.stream().noneMatch(a -> a.endsWith(",rw")), "fixtures are never served writable: " + bochs);
        List<String> validator = ServeArguments.of(load("validator-qemu-io").server(), paths(dir), null);
        assertTrue(String.join(" ", validator).contains("--validate --profile strict --report"), validator.toString());
    }

    @Test
    void tlsPlaceholdersAreFilledIn() {
        Scenario scenario = load("tls-psk-libnbd");
        TlsCredentials tls = new TlsCredentials(Path.of("/tmp/x/pki"));
        String script = CellRunner.substitute(scenario, name -> "nbd://127.0.0.1:4242/" + name, 4242, tls);
        assertTrue(script.contains("nbds://client@127.0.0.1:4242/disk?tls-psk-file=/tmp/x/pki/keys.psk"), script);
        assertTrue(!script.contains("{"), "every placeholder is filled in: " + script);
    }

    @Test
    void serverSectionsImplyCapabilities() {
        assertEquals(Set.of("tls-x509"), Requirements.implied(load("nbd-client-tls-list").server()));
        assertEquals(Set.of("tls-psk"), Requirements.implied(load("tls-psk-qemu").server()));
        assertEquals(Set.of("dirty-bitmaps"), Requirements.implied(load("dirty-bitmap").server()));
        assertEquals(Set.of("bochs"), Requirements.implied(load("bochs-export").server()));
        assertEquals(Set.of("validator"), Requirements.implied(load("validator-nbdinfo").server()));
        PeerImage peer = new PeerImage("bookworm", "nbdref-peer:bookworm", "bookworm", "");
        List<String> reasons = Requirements.unmet(load("dirty-bitmap"), peer, Map.of(), Set.of("tls-x509"));
        assertEquals(List.of("the scenario's server section needs server capability 'dirty-bitmaps'"), reasons);
    }

    /** C17 is a MUST rule: a report that calls it SHOULD still fails the cell, and says why. */
    @Test
    void violationsAreRatedByTheCatalogNotByTheReport(@TempDir Path dir) throws IOException {
        Path report = dir.resolve("r.json");
        Files.writeString(report, """
                {"connections": [{"id": "c1", "dropped": 0, "violations": [
                  {"requirement": "C17", "severity": "SHOULD", "title": "t", "phase": "TRANSMISSION", "sequence": 1, "detail": "d"},
                  {"requirement": "C50", "severity": "SHOULD", "title": "t", "phase": "TRANSMISSION", "sequence": 2, "detail": "d"}]},
                 {"id": "c2", "dropped": 3, "violations": []}]}
                """);
        ViolationTally tally = ViolationTally.read(report, Scenario.ViolationRule.DEFAULT);
        assertEquals(2, tally.connections());
        assertEquals(1, tally.must());
        assertEquals(1, tally.should());
        assertEquals(List.of("C17", "C50"), tally.seen());
        assertEquals(2, tally.problems().size(), tally.problems().toString());
        assertTrue(tally.problems().stream().anyMatch(p -> p.contains("calls C17 SHOULD, spec/requirements.json says MUST")),
                tally.problems().toString());
        assertTrue(tally.problems().stream().anyMatch(p -> p.contains("c2 had 3 more violation(s)")), tally.problems().toString());

        Scenario.ViolationRule allowC17 = new Scenario.ViolationRule(0, null, 1,
                List.of(new Scenario.AllowedViolation("C17", "no nbd module")));
        assertEquals(0, ViolationTally.read(report, allowC17).must());
    }
}
