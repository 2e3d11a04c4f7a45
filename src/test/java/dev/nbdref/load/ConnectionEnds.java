package dev.nbdref.load;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * When the server ended each connection, from its {@code serve --report} file (schema
 * spec/schemas/violation-report.schema.json), keyed by the client's port, so a test can time a cut-off with the
 * server's own clock rather than guess it from the client side (a client that reads nothing cannot see it).
 */
final class ConnectionEnds {
    private ConnectionEnds() {}

    /** Client port to end time; empty when there is no report yet. */
    static Map<Integer, Instant> byPeerPort(Path report) throws IOException {
        Map<Integer, Instant> ends = new HashMap<>();
        if (report == null || !Files.exists(report)) return ends;
        JsonNode root = new ObjectMapper().readTree(Files.readString(report));
        for (JsonNode c : root.path("connections")) {
            String peer = c.path("peer").asString();
            int port = Integer.parseInt(peer.substring(peer.lastIndexOf(':') + 1));
            ends.put(port, Instant.parse(c.path("ended").asString()));
        }
        return ends;
    }
}
