package dev.nbdref.interop.matrix;

import dev.nbdref.interop.NbdrefProcess;
import dev.nbdref.interop.PeerResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Runs one cell: a fresh nbdref server on the host (ephemeral port, its own violation report), the scenario's
 * script in the peer image, then the judgement. Scratch directories are removed afterwards.
 */
final class CellRunner {

    /** Placeholders only a scenario with server.tls may use: the credential directory, keys.psk and its identity. */
    static final List<String> TLS_PLACEHOLDERS = List.of("{tlsdir}", "{pskfile}", "{pskidentity}");

    private final Set<String> serverCapabilities;
    private final Path root;
    private final TlsCredentials tls;

    /** {@code root}: the repository (bochs fixtures); {@code tls}: the run's credentials, null when no scenario needs them. */
    CellRunner(Set<String> serverCapabilities, Path root, TlsCredentials tls) {
        this.serverCapabilities = serverCapabilities;
        this.root = root;
        this.tls = tls;
    }

    CellResult run(Scenario scenario, PeerImage peer, Map<String, String> versions) {
        List<String> unmet = Requirements.unmet(scenario, peer, versions, serverCapabilities);
        if (!unmet.isEmpty()) {
            return CellResult.unsupported(peer.name(), scenario.id(), unmet);
        }
        Path workdir = null;
        Path serverDir = null;
        try {
            workdir = Files.createTempDirectory("nbdref-matrix-work-");
            serverDir = Files.createTempDirectory("nbdref-matrix-server-");
            return runIn(scenario, peer, workdir, serverDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the scratch directories of " + scenario.id(), e);
        } finally {
            deleteTree(workdir);
            deleteTree(serverDir);
        }
    }

    private CellResult runIn(Scenario scenario, PeerImage peer, Path workdir, Path serverDir) throws IOException {
        Path report = serverDir.resolve("violations.json");
        List<String> args = ServeArguments.of(scenario.server(), new ServeArguments.Paths(root, serverDir, report), tls);
        long start = System.nanoTime();
        NbdrefProcess server;
        try {
            server = NbdrefProcess.start(scenario.server().exports().size(), args.toArray(String[]::new));
        } catch (AssertionError e) {
            return failed(peer, scenario, start, null, null, List.of("nbdref did not start: " + firstLine(e.getMessage())),
                    String.valueOf(e.getMessage()));
        }
        PeerResult result;
        String script = substitute(scenario, server, tls);
        List<Path> mounts = scenario.server().tls() == null ? List.of() : List.of(tls.dir());
        int serverExit;
        try {
            result = ContainerRun.run(peer.image(), script, workdir, mounts, Duration.ofSeconds(scenario.timeoutSeconds()));
        } finally {
            serverExit = server.stop(); // its shutdown writes every ended connection's report before it exits
        }
        Judge.Verdict verdict = Judge.judge(scenario.expect(), result, workdir, report);
        List<String> reasons = new ArrayList<>(verdict.reasons());
        if (serverExit != 0) {
            reasons.add("nbdref exited with status " + serverExit + " after SIGTERM (expected 0)");
        }
        String details = result.describe() + "\n" + verdict.violationDetail() + server.logReport();
        long ms = Duration.ofNanos(System.nanoTime() - start).toMillis();
        CellResult.Status status = reasons.isEmpty() ? CellResult.Status.PASS : CellResult.Status.FAIL;
        return new CellResult(peer.name(), scenario.id(), status, reasons, script,
                result.timedOut() ? null : result.exitCode(), ms, verdict.violations(), details);
    }

    private static CellResult failed(PeerImage peer, Scenario scenario, long start, String script, Integer exit,
                                     List<String> reasons, String details) {
        long ms = Duration.ofNanos(System.nanoTime() - start).toMillis();
        return new CellResult(peer.name(), scenario.id(), CellResult.Status.FAIL, reasons, script, exit, ms, null, details);
    }

    static String substitute(Scenario scenario, NbdrefProcess server, TlsCredentials tls) {
        return substitute(scenario, server::uri, server.port(), tls);
    }

    /**
     * The scenario's command with every placeholder filled in from the URIs the server printed ({@code uriOf}
     * gives one per export name); {@code tls} may be null for a scenario without TLS.
     */
    static String substitute(Scenario scenario, UnaryOperator<String> uriOf, int port, TlsCredentials tls) {
        String script = scenario.command();
        for (Scenario.Export e : scenario.server().exports()) {
            script = script.replace("{uri:" + e.name() + "}", uriOf.apply(e.name()));
        }
        if (tls != null) {
            script = script.replace("{tlsdir}", tls.dir().toString())
                    .replace("{pskfile}", tls.pskFile().toString())
                    .replace("{pskidentity}", TlsCredentials.PSK_IDENTITY);
        }
        String first = scenario.server().firstExport().name();
        return script.replace("{uri}", uriOf.apply(first))
                .replace("{host}", "127.0.0.1")
                .replace("{port}", String.valueOf(port))
                .replace("{export}", first)
                .replace("{workdir}", ContainerRun.WORKDIR);
    }

    private static String firstLine(String text) {
        return text == null ? "" : text.lines().findFirst().orElse("");
    }

    /** Removes a scratch directory and everything in it; a leftover is harmless and not reported. */
    static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // A leftover scratch file in /tmp does not change any result.
        }
    }
}
