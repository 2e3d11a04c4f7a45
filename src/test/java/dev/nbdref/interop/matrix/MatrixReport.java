package dev.nbdref.interop.matrix;

import dev.nbdref.spec.JsonSchemas;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The interop matrix report (spec/schemas/interop-report.schema.json): collects the peers and cells of one run,
 * writes latest.json (validated before it is written) and the HTML matrix, and compares with the baseline.
 */
final class MatrixReport {

    static final String SCHEMA = "spec/schemas/interop-report.schema.json";
    private static final int LOG_TAIL = 4000;

    /** A peer image as the run found it. */
    record PeerEntry(PeerImage image, String imageId, String recipe, Map<String, String> versions, String problem) {
    }

    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private final Instant started = Instant.now();
    private final List<ScenarioLoader.Feature> features;
    private final List<Scenario> scenarios;
    private final Set<String> serverCapabilities;
    private final List<PeerEntry> peers = new ArrayList<>();
    private final Map<String, CellResult> cells = new LinkedHashMap<>();

    MatrixReport(ScenarioLoader.Catalog catalog, Set<String> serverCapabilities) {
        this.features = catalog.features();
        this.scenarios = catalog.scenarios();
        this.serverCapabilities = serverCapabilities;
    }

    synchronized void addPeer(PeerEntry peer) {
        peers.add(peer);
    }

    synchronized void addCell(CellResult cell) {
        cells.put(cell.key(), cell);
    }

    synchronized List<CellResult> cells() {
        return List.copyOf(cells.values());
    }

    synchronized List<PeerEntry> peers() {
        return List.copyOf(peers);
    }

    List<ScenarioLoader.Feature> features() {
        return features;
    }

    List<Scenario> scenarios() {
        return scenarios;
    }

    /** Cells that passed in the baseline and do not pass now, as PEER/SCENARIO. Cells not run are not compared. */
    List<String> regressions(Baseline baseline) {
        List<String> out = new ArrayList<>();
        for (CellResult cell : cells()) {
            if (baseline.status(cell.key()) == CellResult.Status.PASS && cell.status() != CellResult.Status.PASS) {
                out.add(cell.key());
            }
        }
        return out;
    }

    synchronized ObjectNode toJson(List<String> regressions) {
        ObjectNode root = JSON.createObjectNode();
        root.put("tool", "nbdref");
        root.put("kind", "interop-matrix");
        root.put("generated", Instant.now().toString());
        root.put("durationSeconds", Duration.between(started, Instant.now()).toMillis() / 1000.0);
        ObjectNode server = root.putObject("server");
        server.put("jar", System.getProperty("nbdref.jar", "target/nbdref.jar"));
        String command = System.getProperty("nbdref.command", "");
        if (!command.isBlank()) {
            server.put("command", command.strip());
        }
        ArrayNode caps = server.putArray("capabilities");
        serverCapabilities.stream().sorted().forEach(caps::add);
        ArrayNode peerList = root.putArray("peers");
        for (PeerEntry p : peers) {
            ObjectNode n = peerList.addObject();
            n.put("name", p.image().name());
            n.put("image", p.image().image());
            if (p.imageId() != null) {
                n.put("imageId", p.imageId());
            }
            if (p.recipe() != null) {
                n.put("recipe", p.recipe());
            }
            n.put("description", p.image().description());
            ObjectNode versions = n.putObject("versions");
            p.versions().forEach(versions::put);
            if (p.problem() != null) {
                n.put("problem", p.problem());
            }
        }
        ArrayNode featureList = root.putArray("features");
        for (ScenarioLoader.Feature f : features) {
            featureList.addObject().put("id", f.id()).put("title", f.title());
        }
        ArrayNode scenarioList = root.putArray("scenarios");
        for (Scenario s : scenarios) {
            ObjectNode n = scenarioList.addObject().put("id", s.id()).put("title", s.title());
            ArrayNode fs = n.putArray("features");
            s.features().forEach(fs::add);
        }
        ArrayNode cellList = root.putArray("cells");
        for (CellResult c : cells.values()) {
            cellList.add(cell(c));
        }
        ObjectNode summary = root.putObject("summary");
        summary.set("total", counts(cells.values().stream().toList()));
        ObjectNode byPeer = summary.putObject("byPeer");
        for (PeerEntry p : peers) {
            byPeer.set(p.image().name(),
                    counts(cells.values().stream().filter(c -> c.peer().equals(p.image().name())).toList()));
        }
        ArrayNode reg = summary.putArray("regressions");
        regressions.forEach(reg::add);
        return root;
    }

    private static ObjectNode cell(CellResult c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("peer", c.peer());
        n.put("scenario", c.scenario());
        n.put("status", c.status().json());
        ArrayNode reasons = n.putArray("reasons");
        c.reasons().forEach(reasons::add);
        if (c.command() != null) {
            n.put("command", c.command());
        }
        if (c.command() != null) {
            if (c.exitStatus() == null) {
                n.putNull("exitStatus");
            } else {
                n.put("exitStatus", c.exitStatus());
            }
            n.put("durationMs", c.durationMs());
        }
        if (c.violations() != null) {
            ObjectNode v = n.putObject("violations");
            v.put("connections", c.violations().connections());
            v.put("must", c.violations().must());
            v.put("should", c.violations().should());
            ArrayNode ids = v.putArray("requirements");
            c.violations().requirements().forEach(ids::add);
        }
        if (c.status() == CellResult.Status.FAIL && c.details() != null) {
            String d = c.details();
            n.put("log", d.length() > LOG_TAIL ? "..." + d.substring(d.length() - LOG_TAIL) : d);
        }
        return n;
    }

    private static ObjectNode counts(List<CellResult> list) {
        ObjectNode n = JSON.createObjectNode();
        for (CellResult.Status s : CellResult.Status.values()) {
            n.put(s.json(), list.stream().filter(c -> c.status() == s).count());
        }
        return n;
    }

    /** Validates and writes latest.json, latest.html and latest-junit.xml into {@code dir}; returns the JSON path. */
    Path write(Path dir, List<String> regressions) {
        ObjectNode json = toJson(regressions);
        JsonSchemas.validate(json, SCHEMA);
        try {
            Files.createDirectories(dir);
            Path out = dir.resolve("latest.json");
            atomicWrite(out, JSON.writeValueAsString(json) + "\n");
            atomicWrite(dir.resolve("latest.html"), MatrixHtml.render(json));
            atomicWrite(dir.resolve("latest-junit.xml"), MatrixJunitXml.render(json));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the interop report to " + dir, e);
        }
    }

    private static void atomicWrite(Path target, String text) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The committed expected matrix: a report of an earlier run (same schema). */
    record Baseline(Path file, Map<String, CellResult.Status> statuses) {

        static Baseline load(Path file) {
            Map<String, CellResult.Status> statuses = new LinkedHashMap<>();
            if (!Files.isRegularFile(file)) {
                return new Baseline(file, statuses);
            }
            JsonNode root;
            try {
                root = JSON.readTree(Files.readString(file));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the baseline " + file, e);
            }
            JsonSchemas.validate(root, SCHEMA);
            for (JsonNode c : root.path("cells")) {
                statuses.put(CellResult.key(c.get("peer").asString(), c.get("scenario").asString()),
                        CellResult.Status.ofJson(c.get("status").asString()));
            }
            return new Baseline(file, statuses);
        }

        boolean exists() {
            return !statuses.isEmpty();
        }

        CellResult.Status status(String key) {
            return statuses.get(key);
        }
    }
}
