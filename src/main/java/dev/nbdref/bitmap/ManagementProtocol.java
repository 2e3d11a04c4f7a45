package dev.nbdref.bitmap;

import dev.nbdref.spec.JsonSchemas;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The management protocol without the socket: one request line in, one response line out (spec/management.md).
 * Every request is checked against its schema before anything is done, and every response against its own, so
 * the documentation and the server cannot drift apart.
 */
final class ManagementProtocol {
    static final String REQUEST_SCHEMA = "spec/schemas/management-request.schema.json";
    static final String RESPONSE_SCHEMA = "spec/schemas/management-response.schema.json";
    private static final Logger log = LoggerFactory.getLogger(ManagementProtocol.class);

    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, BitmapSet> exports;

    ManagementProtocol(Map<String, BitmapSet> exportsByName) {
        this.exports = new TreeMap<>(exportsByName);
    }

    /** The response line (without its newline) to one request line. */
    String answer(String line) {
        return json.writeValueAsString(answer(parse(line)));
    }

    /** The response to an error that is no request's fault, e.g. too many connections or an overlong line. */
    String failure(String code, String message) {
        return json.writeValueAsString(error(json.nullNode(), code, message));
    }

    private JsonNode parse(String line) {
        try {
            return json.readTree(line);
        } catch (RuntimeException e) { // Jackson 3 reports malformed JSON unchecked
            return null;
        }
    }

    ObjectNode answer(JsonNode request) {
        if (request == null || request.isMissingNode()) {
            return error(json.nullNode(), "bad-request", "the line is not JSON");
        }
        JsonNode id = idOf(request);
        List<String> problems = JsonSchemas.errors(request, REQUEST_SCHEMA);
        if (!problems.isEmpty()) {
            return error(id, "bad-request", "the request does not match " + REQUEST_SCHEMA + ": "
                    + String.join("; ", problems));
        }
        ObjectNode response;
        try {
            response = perform(request, id);
        } catch (BitmapException e) {
            response = error(id, e.kind().code(), e.getMessage());
        } catch (UnknownExportException e) {
            response = error(id, "no-such-export", e.getMessage());
        } catch (IOException e) {
            response = error(id, "store-failed", "the change was made but saving the bitmaps failed: " + e.getMessage());
        } catch (RuntimeException e) {
            log.error("management request {} failed", request, e);
            response = error(id, "internal", "internal error: " + e);
        }
        List<String> wrong = JsonSchemas.errors(response, RESPONSE_SCHEMA);
        if (!wrong.isEmpty()) { // a bug here, not the client's: say so rather than send a malformed line
            log.error("management response {} does not match {}: {}", response, RESPONSE_SCHEMA, wrong);
            return error(id, "internal", "internal error: the response did not match " + RESPONSE_SCHEMA);
        }
        return response;
    }

    private ObjectNode perform(JsonNode request, JsonNode id) throws IOException, UnknownExportException {
        String verb = request.get("verb").asString();
        if (verb.equals("list")) return list(request, id);
        BitmapSet set = export(request.get("export").asString());
        String bitmap = request.get("bitmap").asString();
        BitmapInfo info;
        switch (verb) {
            case "add":
                long granularity = request.has("granularity") ? request.get("granularity").asLong() : Granularity.DEFAULT;
                info = set.add(BitmapName.check(bitmap), granularity, request.path("enabled").asBoolean(true));
                break;
            case "remove":
                set.remove(bitmap);
                info = null;
                break;
            case "clear":
                info = set.clear(bitmap);
                break;
            case "enable":
                info = set.enable(bitmap);
                break;
            case "disable":
                info = set.disable(bitmap);
                break;
            case "merge":
                info = set.merge(request.get("source").asString(), bitmap);
                break;
            default:
                throw new IllegalStateException("verb " + verb + " passed the schema but is not handled");
        }
        ObjectNode ok = ok(id);
        if (info != null) ok.set("bitmap", bitmapNode(info));
        return ok;
    }

    private ObjectNode list(JsonNode request, JsonNode id) throws UnknownExportException {
        Map<String, BitmapSet> chosen = exports;
        if (request.has("export")) {
            String name = request.get("export").asString();
            chosen = Map.of(name, export(name));
        }
        ObjectNode ok = ok(id);
        ArrayNode list = ok.putArray("exports");
        for (Map.Entry<String, BitmapSet> e : chosen.entrySet()) {
            ObjectNode x = list.addObject();
            x.put("export", e.getKey());
            x.put("size", e.getValue().deviceSize());
            x.put("persistent", e.getValue().persistent());
            ArrayNode bitmaps = x.putArray("bitmaps");
            for (BitmapInfo info : e.getValue().list()) bitmaps.add(bitmapNode(info));
        }
        return ok;
    }

    private ObjectNode bitmapNode(BitmapInfo info) {
        ObjectNode b = json.createObjectNode();
        b.put("name", info.name());
        b.put("granularity", info.granularity());
        b.put("enabled", info.enabled());
        b.put("dirtyBytes", info.dirtyBytes());
        return b;
    }

    private BitmapSet export(String name) throws UnknownExportException {
        BitmapSet set = exports.get(name);
        if (set == null) {
            throw new UnknownExportException("no export named \"" + name + "\" (exports: "
                    + String.join(", ", exports.keySet()) + ")");
        }
        return set;
    }

    /** The request's id when it is one the schema allows, otherwise null (the response must still be valid). */
    private JsonNode idOf(JsonNode request) {
        JsonNode id = request.path("id");
        return id.isString() || id.isIntegralNumber() ? id : json.nullNode();
    }

    private ObjectNode ok(JsonNode id) {
        ObjectNode r = json.createObjectNode();
        r.set("id", id);
        r.put("ok", true);
        return r;
    }

    private ObjectNode error(JsonNode id, String code, String message) {
        ObjectNode r = json.createObjectNode();
        r.set("id", id);
        r.put("ok", false);
        r.put("error", message);
        r.put("code", code);
        return r;
    }

    /** A request named an export the server does not manage. */
    private static final class UnknownExportException extends Exception {
        private static final long serialVersionUID = 1L;

        UnknownExportException(String message) {
            super(message);
        }
    }
}
