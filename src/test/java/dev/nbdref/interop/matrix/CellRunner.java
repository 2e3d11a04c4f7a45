package dev.nbdref.interop.matrix;

import dev.nbdref.interop.NbdrefProcess;
import dev.nbdref.interop.PeerResult;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Runs one cell: a fresh nbdref server on the host (ephemeral port, its own violation report), the scenario's
 * script in the peer image, then the judgement. Scratch directories are removed afterwards.
 */
final class CellRunner {

    private final Set<String> serverCapabilities;

    CellRunner(Set<String> serverCapabilities) {
        this.serverCapabilities = serverCapabilities;
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
        List<String> args = serveArguments(scenario.server(), serverDir, report);
        long start = System.nanoTime();
        NbdrefProcess server;
        try {
            server = NbdrefProcess.start(scenario.server().exports().size(), args.toArray(String[]::new));
        } catch (AssertionError e) {
            return failed(peer, scenario, start, null, null, List.of("nbdref did not start: " + firstLine(e.getMessage())),
                    String.valueOf(e.getMessage()));
        }
        PeerResult result;
        String script = substitute(scenario, server);
        int serverExit;
        try {
            result = ContainerRun.run(peer.image(), script, workdir, Duration.ofSeconds(scenario.timeoutSeconds()));
        } finally {
            serverExit = server.stop();
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

    /** {@code serve} arguments after {@code --listen 127.0.0.1:0}; file exports get a sparse file of their size. */
    static List<String> serveArguments(Scenario.Server server, Path serverDir, Path report) throws IOException {
        List<String> args = new ArrayList<>();
        for (Scenario.Export e : server.exports()) {
            String spec;
            if (e.backend().equals("file")) {
                Path file = serverDir.resolve(e.name() + ".raw");
                try (RandomAccessFile raw = new RandomAccessFile(file.toFile(), "rw")) {
                    raw.setLength(bytes(e.size()));
                }
                spec = "file:" + file;
            } else {
                spec = "memory:" + e.size();
            }
            StringBuilder arg = new StringBuilder(e.name()).append('=').append(spec);
            if (e.readOnly()) {
                arg.append(",ro");
            }
            if (e.description() != null) {
                arg.append(",description=").append(e.description());
            }
            args.add("--export");
            args.add(arg.toString());
        }
        if (server.minBlock() != null) {
            args.add("--min-block");
            args.add(String.valueOf(server.minBlock()));
        }
        args.addAll(server.args());
        args.add("--report");
        args.add(report.toString());
        return args;
    }

    static String substitute(Scenario scenario, NbdrefProcess server) {
        String script = scenario.command();
        for (Scenario.Export e : scenario.server().exports()) {
            script = script.replace("{uri:" + e.name() + "}", server.uri(e.name()));
        }
        String first = scenario.server().firstExport().name();
        return script.replace("{uri}", server.uri(first))
                .replace("{host}", "127.0.0.1")
                .replace("{port}", String.valueOf(server.port()))
                .replace("{export}", first)
                .replace("{workdir}", ContainerRun.WORKDIR);
    }

    static long bytes(String size) {
        char unit = size.charAt(size.length() - 1);
        int shift = switch (unit) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            default -> 0;
        };
        String digits = shift == 0 ? size : size.substring(0, size.length() - 1);
        return Long.parseLong(digits) << shift;
    }

    private static String firstLine(String text) {
        return text == null ? "" : text.lines().findFirst().orElse("");
    }

    private static void deleteTree(Path dir) {
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
