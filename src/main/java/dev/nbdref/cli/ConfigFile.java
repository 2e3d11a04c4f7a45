package dev.nbdref.cli;

import dev.nbdref.spec.JsonSchemas;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code --config} file: JSON checked against spec/schemas/config.schema.json before any of it is
 * used, so a typo is reported with its location instead of being ignored.
 *
 * @param listen   null when not set
 * @param minBlock null when not set
 * @param report   null when not set
 * @param tls      the "tls" object; its fields are null when not set
 * @param bitmaps  "EXPORT:NAME[:GRANULARITY]" entries, as --bitmap takes them
 * @param manage   the management socket, or null
 * @param ioTimeout the transmission-phase timeout in seconds (0: none), or null when not set
 * @param maxConnections the connection limit, or null when not set
 */
record ConfigFile(String listen, List<ExportSpec> exports, Integer minBlock, Path report, Tls tls,
                  List<String> bitmaps, Path manage, Integer ioTimeout, Integer maxConnections) {

    /** The "tls" section; each field null when absent. */
    record Tls(String mode, Path x509, Path psk, Boolean verifyPeer, List<String> authz) {
        static final Tls NONE = new Tls(null, null, null, null, List.of());
    }
    static final String SCHEMA = "spec/schemas/config.schema.json";

    static ConfigFile load(Path path) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(path));
        } catch (RuntimeException e) { // Jackson 3 reports malformed JSON unchecked
            throw new IOException(path + " is not valid JSON: " + e.getMessage(), e);
        }
        List<String> errors = JsonSchemas.errors(root, SCHEMA);
        if (!errors.isEmpty()) {
            throw new IOException(path + " does not match " + SCHEMA + ":\n  " + String.join("\n  ", errors));
        }
        List<ExportSpec> exports = new ArrayList<>();
        for (JsonNode e : root.path("exports")) {
            exports.add(ExportSpec.of(e.get("name").asString(), e.get("spec").asString(),
                    e.has("readOnly") ? e.get("readOnly").asBoolean() : null, e.path("tlsOnly").asBoolean(false),
                    e.has("description") ? e.get("description").asString() : null));
        }
        return new ConfigFile(text(root, "listen"), exports,
                root.has("minBlock") ? root.get("minBlock").asInt() : null,
                root.has("report") ? Path.of(root.get("report").asString()) : null, tls(root.path("tls")),
                strings(root.path("bitmaps")), root.has("manage") ? Path.of(root.get("manage").asString()) : null,
                root.has("ioTimeout") ? root.get("ioTimeout").asInt() : null,
                root.has("maxConnections") ? root.get("maxConnections").asInt() : null);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : array) out.add(n.asString());
        return out;
    }

    private static Tls tls(JsonNode t) {
        if (t.isMissingNode()) return Tls.NONE;
        List<String> authz = new ArrayList<>();
        for (JsonNode dn : t.path("authz")) authz.add(dn.asString());
        return new Tls(text(t, "mode"), t.has("x509") ? Path.of(t.get("x509").asString()) : null,
                t.has("psk") ? Path.of(t.get("psk").asString()) : null,
                t.has("verifyPeer") ? t.get("verifyPeer").asBoolean() : null, authz);
    }

    private static String text(JsonNode root, String field) {
        return root.has(field) ? root.get(field).asString() : null;
    }
}
