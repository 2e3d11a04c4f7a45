package dev.nbdref.conformance;

import dev.nbdref.spec.JsonSchemas;
import dev.nbdref.spec.Level;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the violation report (spec/schemas/violation-report.schema.json). The whole file is rewritten
 * after each connection, through a temporary file and a rename, so a reader never sees half a report.
 * Every report is validated against its schema before it is written.
 */
public final class ViolationReportWriter {
    public static final String SCHEMA = "spec/schemas/violation-report.schema.json";

    private final Path path;
    private final ObjectMapper json = new ObjectMapper();
    private final List<ConnectionReport> connections = new ArrayList<>();

    public ViolationReportWriter(Path path) { this.path = path; }

    public synchronized void add(ConnectionReport report) {
        connections.add(report);
        write();
    }

    public synchronized ObjectNode toJson() {
        ObjectNode root = json.createObjectNode();
        root.put("tool", "nbdref");
        String v = ViolationReportWriter.class.getPackage().getImplementationVersion();
        root.put("version", v == null ? "dev" : v);
        root.put("generated", Instant.now().toString());
        long must = 0, should = 0, total = 0;
        ArrayNode list = root.putArray("connections");
        for (ConnectionReport c : connections) {
            ObjectNode n = list.addObject();
            n.put("id", c.connectionId());
            n.put("peer", c.peer());
            n.put("started", c.started().toString());
            n.put("ended", c.ended().toString());
            n.put("export", c.exportName());
            n.put("dropped", c.dropped());
            ArrayNode vs = n.putArray("violations");
            for (Violation x : c.violations()) {
                vs.add(violation(x));
                total++;
                if (x.severity() == Level.MUST) must++;
                if (x.severity() == Level.SHOULD) should++;
            }
        }
        ObjectNode summary = json.createObjectNode();
        summary.put("connections", connections.size());
        summary.put("violations", total);
        summary.put("must", must);
        summary.put("should", should);
        root.set("summary", summary);
        return root;
    }

    private ObjectNode violation(Violation x) {
        return fill(json.createObjectNode(), x);
    }

    /** A violation as both report formats write it (the same "$defs/violation" shape in both schemas). */
    static ObjectNode fill(ObjectNode v, Violation x) {
        v.put("requirement", x.requirementId());
        v.put("severity", x.severity().name());
        v.put("title", x.title());
        v.put("phase", x.phase().name());
        v.put("sequence", x.sequence());
        v.put("byteOffset", x.byteOffset());
        v.put("detail", x.detail());
        v.put("excerptHex", x.excerptHex());
        v.put("reaction", x.reaction());
        return v;
    }

    private static void trySetReadable(Path file) {
        try {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException | UnsupportedOperationException e) {
            // not POSIX: the file keeps its default permissions
        }
    }

    private void write() {
        ObjectNode root = toJson();
        JsonSchemas.validate(root, SCHEMA);
        try {
            Path parent = path.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path tmp = Files.createTempFile(parent, ".nbdref-report", ".tmp");
            Files.writeString(tmp, json.writerWithDefaultPrettyPrinter().writeValueAsString(root));
            trySetReadable(tmp); // temp files are created private; a report is for others to read
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write report " + path, e);
        }
    }
}
