package dev.nbdref.cli;

import dev.nbdref.conformance.ClientReportJson;
import dev.nbdref.spec.JsonSchemas;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * check-client run in-process, end to end with small clients: its exit statuses and the reports it writes. The
 * corpus and the real clients are run from the built jar by the interop tests.
 */
class CheckClientCommandTest {
    private static final String LOG_PROPERTY = "org.slf4j.simpleLogger.log.dev.nbdref";
    private static final Path CLIENTS = Path.of(System.getProperty("basedir", System.getProperty("user.dir")),
            "conformance", "clients");
    private static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path dir;
    private String savedLogLevel;
    private String stdout;

    @BeforeEach
    void saveLogLevel() { savedLogLevel = System.getProperty(LOG_PROPERTY); }

    @AfterEach
    void restoreLogLevel() { // check-client quiets the server's log for the whole JVM
        if (savedLogLevel == null) System.clearProperty(LOG_PROPERTY); else System.setProperty(LOG_PROPERTY, savedLogLevel);
    }

    /** Runs check-client as Main does (an exception means exit status 2) with --report, and captures stdout. */
    private int run(String... args) {
        List<String> all = new ArrayList<>(List.of("check-client", "--report", dir.resolve("r.json").toString()));
        all.addAll(List.of(args));
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("nbdref: " + e.getMessage());
            return 2;
        });
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            return cli.execute(all.toArray(new String[0]));
        } finally {
            System.setOut(saved);
            stdout = out.toString(StandardCharsets.UTF_8);
            saved.print(stdout);
        }
    }

    private JsonNode report() throws Exception {
        JsonNode root = new ObjectMapper().readTree(Files.readString(dir.resolve("r.json")));
        assertEquals(List.of(), JsonSchemas.errors(root, ClientReportJson.SCHEMA));
        return root;
    }

    @Test
    void aClientThatCannotStartFailsTheRun() throws Exception {
        assertEquals(2, run("--", "/nonexistent/nbd-client", "{uri}"));
        JsonNode r = report();
        assertEquals("error", r.get("result").get("status").asString());
        assertTrue(r.get("result").get("message").asString().contains("cannot start the client"), r.toString());
        assertTrue(r.get("client").get("exitStatus").isNull());
        assertTrue(stdout.contains("result: ERROR"), stdout);
    }

    @Test
    void aClientStillRunningAtTheTimeoutIsKilledAndFailsTheRun() throws Exception {
        long start = System.nanoTime();
        assertEquals(2, run("--timeout", "1", "--", "/bin/sleep", "60"));
        assertTrue(System.nanoTime() - start < 30_000_000_000L, "the client was not killed");
        JsonNode r = report();
        assertTrue(r.get("client").get("timedOut").asBoolean());
        assertTrue(r.get("result").get("message").asString().contains("timeout"), r.toString());
    }

    @Test
    void aClientThatNeverConnectsFailsTheRun() throws Exception {
        assertEquals(2, run("--", "/bin/true", "{uri}"));
        assertTrue(report().get("result").get("message").asString().contains("never connected"));
    }

    @Test
    void aMustViolationGivesExitStatusOneAndEveryReport() throws Exception {
        Path html = dir.resolve("r.html");
        Path junit = dir.resolve("junit.xml");
        assertEquals(1, run("--html", html.toString(), "--junit", junit.toString(), "--", PYTHON,
                CLIENTS.resolve("c19_flag_not_defined_for_command.py").toString(), "{host}", "{port}", "{export}"));
        JsonNode r = report();
        assertEquals("C19", r.get("connections").get(0).get("violations").get(0).get("requirement").asString());
        assertEquals(1, r.get("summary").get("violations").asInt());
        assertEquals(0, r.get("client").get("exitStatus").asInt(), "the script saw EINVAL as it expected");
        assertTrue(Files.readString(html).contains("<strong>C19</strong>"));
        assertTrue(Files.readString(junit).contains("<failure type=\"MUST C19\""));
        assertTrue(stdout.contains("  MUST   C19  "), stdout);
    }

    @Test
    void placeholdersAndVariablesReachTheClient() throws Exception {
        Path seen = dir.resolve("seen.txt");
        String script = CLIENTS.resolve("well_behaved.py").toString();
        assertEquals(0, run("--export", "disk=memory:1M", "--", "/bin/sh", "-c",
                "echo \"{uri} {host} {port} {export} [{tls-dir}] $NBDREF_URI\" > " + seen + " && exec " + PYTHON + " "
                        + script + " \"$NBDREF_URI\""));
        String[] words = Files.readString(seen).trim().split(" ");
        String port = words[2];
        assertEquals(List.of("nbd://127.0.0.1:" + port + "/disk", "127.0.0.1", port, "disk", "[]",
                "nbd://127.0.0.1:" + port + "/disk"), List.of(words));
        assertEquals("pass", report().get("result").get("status").asString());
    }

    @Test
    void anUnknownProfileIsAUsageError() {
        assertEquals(2, run("--profile", "lenient", "--", "/bin/true"));
    }
}
