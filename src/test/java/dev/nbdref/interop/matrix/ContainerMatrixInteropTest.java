package dev.nbdref.interop.matrix;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The container interop matrix: every scenario in conformance/scenarios/ against every peer image in
 * conformance/peers/, each cell a JUnit test. The peers run in Docker containers (Testcontainers, host network);
 * nbdref runs on the host, one fresh server per cell. The last test writes reports/interop/latest.json (schema
 * spec/schemas/interop-report.schema.json), latest.html and latest-junit.xml, and fails when a cell that passed in
 * reports/interop-baseline.json does not pass now; a cell the baseline records as failing is skipped, not failed.
 *
 * <p>Without a Docker engine the whole matrix is skipped with the reason, except when the environment variable
 * CI is "true": there it fails. System properties: {@code nbdref.interop.peers} and {@code nbdref.interop.scenarios}
 * (comma-separated subsets), {@code nbdref.interop.updateBaseline=true} (copy the report of a full run to the
 * baseline), {@code nbdref.interop.serverCapabilities} (capabilities scenarios may require, e.g. tls-x509),
 * {@code nbdref.interop.parallel} (cells run at once, default 2). When a selected scenario uses TLS, one set of
 * credentials is made for the run with {@code nbdref pki init} and removed at the end.
 */
class ContainerMatrixInteropTest {

    static {
        // Testcontainers logs every container start at INFO; one line per cell from us is enough.
        for (String logger : List.of("org.testcontainers", "tc", "com.github.dockerjava")) {
            System.setProperty("org.slf4j.simpleLogger.log." + logger, "warn");
        }
    }

    private static final Path ROOT = Path.of(System.getProperty("nbdref.root", "")).toAbsolutePath();
    private static final Path PEERS = ROOT.resolve("conformance/peers");
    private static final Path SCENARIOS = ROOT.resolve("conformance/scenarios");
    private static final Path REPORTS = ROOT.resolve("reports/interop");
    private static final Path BASELINE = ROOT.resolve("reports/interop-baseline.json");
    private static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));

    @TestFactory
    Stream<DynamicNode> matrix() {
        ScenarioLoader.Catalog catalog = ScenarioLoader.load(SCENARIOS);
        List<Scenario> scenarios = select(catalog.scenarios(), Scenario::id, "nbdref.interop.scenarios");
        List<PeerImage> allPeers = PeerImage.loadAll(PEERS);
        List<PeerImage> peers = select(allPeers, PeerImage::name, "nbdref.interop.peers");
        boolean partial = scenarios.size() < catalog.scenarios().size() || peers.size() < allPeers.size();

        String unavailable = DockerEnvironment.unavailable();
        if (unavailable != null) {
            // One test that skips (or fails in CI) with the reason: an aborted factory would vanish from the counts.
            return Stream.of(dynamicTest("container interop matrix", () -> unusable(unavailable)));
        }
        System.out.println("[matrix] Docker engine " + DockerEnvironment.engineVersion() + "; " + peers.size()
                + " peer image(s) x " + scenarios.size() + " scenario(s)");

        Set<String> capabilities = serverCapabilities();
        MatrixReport report = new MatrixReport(new ScenarioLoader.Catalog(catalog.features(), scenarios), capabilities);
        MatrixReport.Baseline baseline = MatrixReport.Baseline.load(BASELINE);
        TlsCredentials tls = scenarios.stream().anyMatch(s -> s.server().tls() != null) ? credentials() : null;
        CellRunner runner = new CellRunner(capabilities, ROOT, tls);
        // Cells run ahead in a small pool (each is a server process plus a container, mostly waiting); the dynamic
        // tests then take their results in order, so output and report stay in matrix order.
        ExecutorService pool = Executors.newFixedThreadPool(Integer.getInteger("nbdref.interop.parallel", 2), task -> {
            Thread thread = new Thread(task, "matrix-cell");
            thread.setDaemon(true);
            return thread;
        });

        List<DynamicNode> nodes = new ArrayList<>();
        for (PeerImage peer : peers) {
            DockerEnvironment.ImageState image = DockerEnvironment.inspect(peer);
            String problem = image.problem();
            if (problem == null && !image.recipe().equals(recipe(peer))) {
                problem = "image " + peer.image() + " is stale (recipe '" + image.recipe() + "', peer.conf gives '"
                        + recipe(peer) + "')";
            }
            Map<String, String> versions = problem == null ? DockerEnvironment.versions(peer, PEERS.resolve("probe-versions.sh"))
                    : Map.of();
            report.addPeer(new MatrixReport.PeerEntry(peer, image.id(), image.recipe(), versions, problem));
            String versionText = versions.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                    .collect(Collectors.joining(", "));
            System.out.println("[matrix] " + peer.name() + ": " + (problem != null ? problem : versionText));
            String peerProblem = problem;
            List<DynamicTest> tests = new ArrayList<>();
            for (Scenario scenario : scenarios) {
                Future<CellResult> result = problem == null ? pool.submit(() -> runner.run(scenario, peer, versions)) : null;
                tests.add(dynamicTest(scenario.id() + " - " + scenario.title(), () -> {
                    if (peerProblem != null) {
                        unusable(peer.name() + ": " + peerProblem);
                    }
                    cell(await(result), report, baseline);
                }));
            }
            nodes.add(dynamicContainer(peer.name() + " (" + (problem != null ? problem : versionText) + ")", tests));
        }
        nodes.add(dynamicTest("matrix report and baseline", () -> {
            pool.shutdownNow();
            if (tls != null) {
                CellRunner.deleteTree(tls.dir().getParent());
            }
            finish(report, baseline, partial);
        }));
        return nodes.stream();
    }

    private static CellResult await(Future<CellResult> result) throws Exception {
        try {
            return result.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private static void cell(CellResult result, MatrixReport report, MatrixReport.Baseline baseline) {
        report.addCell(result);
        String reasons = String.join("\n  ", result.reasons());
        System.out.printf("[matrix] %-11s %-34s %s%s%n", result.peer(), result.scenario(), result.status().json(),
                result.reasons().isEmpty() ? "" : ": " + String.join("; ", result.reasons()));
        switch (result.status()) {
            case PASS -> {
            }
            case UNSUPPORTED -> Assumptions.abort("unsupported on " + result.peer() + ":\n  " + reasons);
            case FAIL -> {
                if (baseline.status(result.key()) == CellResult.Status.FAIL) {
                    Assumptions.abort("known failure (recorded as fail in " + BASELINE.getFileName() + "):\n  " + reasons);
                }
                fail(result.key() + " failed:\n  " + reasons + "\n" + result.details());
            }
        }
    }

    private static void finish(MatrixReport report, MatrixReport.Baseline baseline, boolean partial) throws IOException {
        List<String> regressions = report.regressions(baseline);
        Path json = report.write(REPORTS, regressions);
        for (MatrixReport.PeerEntry peer : report.peers()) {
            String name = peer.image().name();
            List<CellResult> cells = report.cells().stream().filter(c -> c.peer().equals(name)).toList();
            System.out.printf("[matrix] %-11s pass %2d  fail %2d  unsupported %2d%n", name,
                    count(cells, CellResult.Status.PASS), count(cells, CellResult.Status.FAIL),
                    count(cells, CellResult.Status.UNSUPPORTED));
        }
        System.out.println("[matrix] report: " + json + ", latest.html, latest-junit.xml");
        for (CellResult cell : report.cells()) {
            CellResult.Status before = baseline.status(cell.key());
            if (before != null && before != CellResult.Status.PASS && cell.status() == CellResult.Status.PASS) {
                System.out.println("[matrix] " + cell.key() + " was " + before.json() + " in the baseline and passes now:"
                        + " update it with -Dnbdref.interop.updateBaseline=true");
            }
        }
        if (Boolean.getBoolean("nbdref.interop.updateBaseline")) {
            if (partial) {
                fail("not updating " + BASELINE + " from a partial run (nbdref.interop.peers/scenarios set)");
            }
            Files.copy(json, BASELINE, StandardCopyOption.REPLACE_EXISTING);
            System.out.println("[matrix] baseline updated: " + BASELINE);
        } else if (!baseline.exists()) {
            System.out.println("[matrix] no baseline at " + BASELINE + ": record one with -Dnbdref.interop.updateBaseline=true");
        }
        if (!regressions.isEmpty()) {
            StringBuilder message = new StringBuilder("cells that passed in " + BASELINE.getFileName() + " do not pass now:");
            for (CellResult cell : report.cells()) {
                if (regressions.contains(cell.key())) {
                    message.append("\n  ").append(cell.key()).append(" is ").append(cell.status().json()).append(": ")
                            .append(String.join("; ", cell.reasons()));
                }
            }
            fail(message.toString());
        }
    }

    private static long count(List<CellResult> cells, CellResult.Status status) {
        return cells.stream().filter(c -> c.status() == status).count();
    }

    /** Skips the test with the reason, or fails it when running in CI, where the matrix must run. */
    private static void unusable(String why) {
        String message = why + ". To run the container interop matrix, " + DockerEnvironment.HOW_TO + ".";
        if (CI) {
            System.out.println("[matrix] FAILED (CI=true): " + message);
            fail("CI=true, so the container interop matrix must run, but " + message);
        }
        System.out.println("[matrix] SKIPPED: " + message);
        Assumptions.abort("container interop matrix skipped: " + message);
    }

    private static <T> List<T> select(List<T> all, java.util.function.Function<T, String> name, String property) {
        String wanted = System.getProperty(property, "").strip();
        if (wanted.isEmpty()) {
            return all;
        }
        Set<String> names = new LinkedHashSet<>(Arrays.asList(wanted.split("\\s*,\\s*")));
        List<T> chosen = all.stream().filter(t -> names.contains(name.apply(t))).toList();
        Set<String> known = all.stream().map(name).collect(Collectors.toSet());
        names.removeAll(known);
        if (!names.isEmpty()) {
            fail(property + " names unknown entries " + names + "; known: " + known);
        }
        return chosen;
    }

    /**
     * What nbdref can do that scenarios may require ("server" in a scenario's requires, or implied by its server
     * section: see Requirements.implied). Add an entry here when the server gains one.
     */
    static final String SERVER_CAPABILITIES = "extended-headers,tls-x509,tls-psk,dirty-bitmaps,bochs,validator";

    /** One PKI for the whole run (nbdref pki init), removed by the last test; only when a TLS scenario is selected. */
    private static TlsCredentials credentials() {
        try {
            return TlsCredentials.create(Files.createTempDirectory("nbdref-matrix-tls-").resolve("pki"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a directory for the TLS credentials", e);
        }
    }

    private static Set<String> serverCapabilities() {
        String text = System.getProperty("nbdref.interop.serverCapabilities", SERVER_CAPABILITIES).strip();
        return text.isEmpty() ? Set.of() : Set.of(text.split("\\s*,\\s*"));
    }

    /** The recipe hash build-image.sh labels the image with: SHA-256 of peer.conf, Dockerfile and the script, 16 hex digits. */
    static String recipe(PeerImage peer) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (Path part : List.of(PEERS.resolve(peer.name()).resolve("peer.conf"),
                    PEERS.resolve(peer.name()).resolve("Dockerfile"), PEERS.resolve("build-image.sh"))) {
                digest.update(Files.readAllBytes(part));
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
