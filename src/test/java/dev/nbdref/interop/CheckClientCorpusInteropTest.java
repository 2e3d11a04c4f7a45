package dev.nbdref.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.conformance.ClientReportCoverage;
import dev.nbdref.conformance.ClientReportJson;
import dev.nbdref.spec.JsonSchemas;
import dev.nbdref.testing.Verifies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The corpus of misbehaving clients (conformance/clients/): each script is run through the built jar exactly as a
 * user runs a client, {@code nbdref check-client OPTIONS -- python3 SCRIPT {host} {port} {export} {tls-dir}}, and
 * the report must name exactly the rules expected.json lists, in order, with the expected exit status. The
 * scripts check the server's reaction themselves (error reply or disconnect), so their own exit status must be 0.
 */
@Verifies({"C01", "C02", "C03", "C04", "C05", "C06", "C07", "C08", "C09", "C10", "C11", "C12", "C13", "C14", "C15",
        "C16", "C17", "C18", "C19", "C20", "C21", "C22", "C24", "C26", "C27", "C28", "C30", "C31", "C32", "C33", "C34",
        "C35", "C38", "C39", "C44", "C45", "C46", "C48", "C49", "C50"})
class CheckClientCorpusInteropTest {
    private static final Path CLIENTS = Path.of(System.getProperty("basedir", System.getProperty("user.dir")),
            "conformance", "clients");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static JsonNode expected() throws IOException {
        return JSON.readTree(Files.readString(CLIENTS.resolve("expected.json")));
    }

    @TestFactory
    Stream<DynamicTest> eachScriptIsReportedWithExactlyItsRules() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode e : expected().get("scripts")) {
            tests.add(DynamicTest.dynamicTest(e.get("script").asString(), () -> check(e)));
        }
        return tests.stream();
    }

    private void check(JsonNode e) throws IOException {
        String script = e.get("script").asString();
        Path report = dir.resolve(script + ".json");
        List<String> args = new ArrayList<>(List.of("-jar", jar(), "check-client", "--report", report.toString(),
                "--timeout", "90"));
        for (JsonNode o : e.get("options")) args.add(o.asString());
        args.addAll(List.of("--", Peer.PYTHON, CLIENTS.resolve(script).toString(), "{host}", "{port}", "{export}",
                "{tls-dir}"));
        PeerResult run = new PeerCommand(java(), args.toArray()).timeout(Duration.ofSeconds(150)).run();
        assertTrue(Files.exists(report), "no report written\n" + run.describe());
        JsonNode root = JSON.readTree(Files.readString(report));
        assertEquals(List.of(), JsonSchemas.errors(root, ClientReportJson.SCHEMA), run.describe());

        List<String> got = new ArrayList<>();
        for (JsonNode c : root.get("connections")) {
            for (JsonNode v : c.get("violations")) got.add(v.get("requirement").asString());
        }
        List<String> want = new ArrayList<>();
        e.get("violations").forEach(v -> want.add(v.asString()));
        assertEquals(want, got, "violations reported for " + script + "\n" + run.describe());
        assertEquals(e.get("exit").asInt(), run.exitCode(), "check-client exit status\n" + run.describe());
        assertEquals(0, root.get("client").get("exitStatus").asInt(),
                "the script saw a server reaction it did not expect\n" + run.describe());
    }

    /** One script per rule nbdref can observe, and no script without an expectation (or the reverse). */
    @Test
    void theCorpusCoversEveryRuleNbdrefChecks() throws IOException {
        Set<String> listed = new TreeSet<>();
        Set<String> covered = new TreeSet<>();
        for (JsonNode e : expected().get("scripts")) {
            listed.add(e.get("script").asString());
            e.get("violations").forEach(v -> covered.add(v.asString()));
        }
        Set<String> present = new TreeSet<>();
        try (Stream<Path> files = Files.list(CLIENTS)) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".py") && !n.equals("nbdlib.py"))
                    .forEach(present::add);
        }
        assertEquals(present, listed, "scripts in conformance/clients vs expected.json");
        assertEquals(ClientReportCoverage.checkableRules(), covered, "rules nbdref checks vs rules the corpus breaks");
    }

    static String jar() {
        String jar = System.getProperty("nbdref.jar", "target/nbdref.jar");
        assertTrue(Files.isRegularFile(Path.of(jar)), "nbdref jar not found at " + jar + ": run mvn verify");
        return jar;
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
