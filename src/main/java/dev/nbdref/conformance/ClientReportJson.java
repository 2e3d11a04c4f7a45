package dev.nbdref.conformance;

import dev.nbdref.spec.JsonSchemas;
import dev.nbdref.spec.Level;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * The client report as JSON (spec/schemas/client-report.schema.json). Every document is validated against the
 * schema before it is written, so a CI job that parses it can rely on the schema.
 */
public final class ClientReportJson {
    public static final String SCHEMA = "spec/schemas/client-report.schema.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ClientReportJson() {
    }

    public static ObjectNode toJson(ClientReport r) {
        ObjectNode root = JSON.createObjectNode();
        root.put("tool", "nbdref");
        root.put("version", r.version());
        root.put("generated", Instant.now().toString());
        root.put("started", r.started().toString());
        root.put("ended", r.ended().toString());
        ObjectNode profile = root.putObject("profile");
        profile.put("name", r.profile());
        profile.put("description", r.profileDescription());
        ArrayNode uris = root.putObject("server").putArray("uris");
        r.serverUris().forEach(uris::add);
        root.set("client", client(r));
        ObjectNode result = root.putObject("result");
        result.put("status", r.status());
        result.put("exitStatus", r.exitStatus());
        result.put("message", r.resultMessage());
        ObjectNode summary = root.putObject("summary");
        summary.put("connections", r.connections().size());
        summary.put("violations", r.violations().size());
        summary.put("must", r.count(Level.MUST));
        summary.put("should", r.count(Level.SHOULD));
        summary.put("may", r.count(Level.MAY));
        summary.put("dropped", r.dropped());
        ArrayNode connections = root.putArray("connections");
        for (ConnectionReport c : r.connections()) connections.add(connection(c));
        root.set("coverage", coverage(r));
        return root;
    }

    /** Validates, then writes atomically; an invalid report is a bug in nbdref and throws. */
    public static void write(ClientReport r, Path path) {
        ObjectNode root = toJson(r);
        JsonSchemas.validate(root, SCHEMA);
        ClientReportText.writeAtomically(path, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
    }

    private static ObjectNode client(ClientReport r) {
        ObjectNode n = JSON.createObjectNode();
        ArrayNode command = n.putArray("command");
        r.command().forEach(command::add);
        if (r.client().exitStatus() == null) n.putNull("exitStatus"); else n.put("exitStatus", r.client().exitStatus());
        n.put("timedOut", r.client().timedOut());
        n.put("elapsedMs", r.client().elapsed().toMillis());
        return n;
    }

    private static ObjectNode connection(ConnectionReport c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", c.connectionId());
        n.put("peer", c.peer());
        n.put("started", c.started().toString());
        n.put("ended", c.ended().toString());
        n.put("export", c.exportName());
        n.put("phaseReached", ClientReportFacts.phaseReached(c).name());
        n.put("endReason", c.endReason());
        ObjectNode commands = n.putObject("commands");
        Map<String, Long> sorted = new TreeMap<>(c.commands());
        sorted.forEach(commands::put);
        ArrayNode transcript = n.putArray("transcript");
        for (TranscriptEntry e : c.transcript()) {
            ObjectNode m = transcript.addObject();
            m.put("phase", e.phase().name());
            m.put("from", e.fromClient() ? "client" : "server");
            if (e.fromClient() && e.byteOffset() >= 0) m.put("byteOffset", e.byteOffset()); else m.putNull("byteOffset");
            m.put("message", e.summary());
        }
        ArrayNode violations = n.putArray("violations");
        for (Violation v : c.violations()) violations.add(violation(v));
        n.put("dropped", c.dropped());
        return n;
    }

    private static ObjectNode violation(Violation x) {
        return ViolationReportWriter.fill(JSON.createObjectNode(), x);
    }

    private static ObjectNode coverage(ClientReport r) {
        ObjectNode n = JSON.createObjectNode();
        Map<ClientReportCoverage.Status, Long> counts = new TreeMap<>();
        for (ClientReportCoverage.RuleStatus s : r.coverage()) counts.merge(s.status(), 1L, Long::sum);
        long passed = counts.getOrDefault(ClientReportCoverage.Status.PASSED, 0L);
        long violated = counts.getOrDefault(ClientReportCoverage.Status.VIOLATED, 0L);
        n.put("checked", passed + violated);
        n.put("passed", passed);
        n.put("violated", violated);
        n.put("notExercised", counts.getOrDefault(ClientReportCoverage.Status.NOT_EXERCISED, 0L));
        n.put("notObservable", counts.getOrDefault(ClientReportCoverage.Status.NOT_OBSERVABLE, 0L));
        ArrayNode rules = n.putArray("rules");
        for (ClientReportCoverage.RuleStatus s : r.coverage()) {
            ObjectNode rule = rules.addObject();
            rule.put("id", s.rule().id());
            rule.put("level", s.rule().level().name());
            rule.put("title", s.rule().title());
            rule.put("section", s.rule().section());
            rule.put("status", s.status().jsonName());
            rule.put("exercisedWhen", s.exercisedWhen());
            rule.put("violations", s.violations());
        }
        return n;
    }
}
