package dev.nbdref.interop.matrix;

import dev.nbdref.spec.JsonSchemas;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Reads the feature catalog ({@code features.json}) and every scenario in {@code conformance/scenarios/}, each
 * validated against its schema and checked for what a schema cannot say: the id equals the file name, every
 * feature is in the catalog, every pattern compiles, TLS placeholders come with server.tls, bitmaps sit on writable
 * exports.
 */
final class ScenarioLoader {

    static final String SCHEMA = "spec/schemas/interop-scenario.schema.json";
    static final String CATALOG = "features.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    record Feature(String id, String title) {
    }

    record Catalog(List<Feature> features, List<Scenario> scenarios) {
    }

    private ScenarioLoader() {
    }

    static Catalog load(Path dir) {
        Map<String, Feature> features = features(dir.resolve(CATALOG));
        List<Scenario> scenarios = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                if (!file.getFileName().toString().equals(CATALOG)) {
                    try {
                        scenarios.add(scenario(file, features));
                    } catch (IllegalArgumentException e) {
                        problems.add(e.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list scenarios in " + dir, e);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid interop scenarios:\n" + String.join("\n", problems));
        }
        if (scenarios.isEmpty()) {
            throw new IllegalArgumentException("no scenarios in " + dir);
        }
        return new Catalog(List.copyOf(features.values()), scenarios);
    }

    private static Map<String, Feature> features(Path file) {
        JsonNode root = read(file);
        Map<String, Feature> features = new LinkedHashMap<>();
        for (JsonNode f : root.path("features")) {
            String id = f.path("id").asString("");
            if (id.isEmpty() || f.path("title").asString("").isEmpty() || features.containsKey(id)) {
                throw new IllegalArgumentException(file + ": every feature needs a unique id and a title: " + f);
            }
            features.put(id, new Feature(id, f.get("title").asString()));
        }
        if (features.isEmpty()) {
            throw new IllegalArgumentException(file + " lists no features");
        }
        return features;
    }

    static Scenario scenario(Path file, Map<String, Feature> features) {
        JsonNode root = read(file);
        List<String> errors = JsonSchemas.errors(root, SCHEMA);
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(file + " does not match " + SCHEMA + ":\n  " + String.join("\n  ", errors));
        }
        String id = root.get("id").asString();
        String expectedId = file.getFileName().toString().replaceFirst("\\.json$", "");
        if (!id.equals(expectedId)) {
            throw new IllegalArgumentException(file + ": id \"" + id + "\" differs from the file name");
        }
        List<String> featureIds = strings(root.get("features"));
        for (String feature : featureIds) {
            if (!features.containsKey(feature)) {
                throw new IllegalArgumentException(file + ": feature \"" + feature + "\" is not in " + CATALOG);
            }
        }
        JsonNode peer = root.get("peer");
        JsonNode command = peer.get("command");
        String script = command.isArray() ? String.join("\n", strings(command)) : command.asString();
        Scenario scenario = new Scenario(id, root.get("title").asString(), featureIds, requirements(root.path("requires")),
                server(root.get("server")), script, peer.path("timeoutSeconds").asInt(120), expect(root.get("expect")));
        checkPatterns(file, scenario.expect());
        checkServer(file, scenario);
        return scenario;
    }

    private static List<Scenario.Requirement> requirements(JsonNode list) {
        List<Scenario.Requirement> out = new ArrayList<>();
        for (JsonNode r : list) {
            out.add(new Scenario.Requirement(text(r, "tool"), text(r, "atLeast"), text(r, "below"),
                    r.has("peers") ? strings(r.get("peers")) : null, text(r, "server"), r.get("reason").asString()));
        }
        return out;
    }

    private static Scenario.Server server(JsonNode s) {
        List<Scenario.Export> exports = new ArrayList<>();
        for (JsonNode e : s.get("exports")) {
            exports.add(new Scenario.Export(e.get("name").asString(), e.get("backend").asString(), text(e, "size"),
                    text(e, "image"), e.path("readOnly").asBoolean(false), text(e, "description")));
        }
        List<Scenario.Bitmap> bitmaps = new ArrayList<>();
        for (JsonNode b : s.path("bitmaps")) {
            bitmaps.add(new Scenario.Bitmap(b.get("export").asString(), b.get("name").asString(),
                    b.has("granularity") ? b.get("granularity").asInt() : null));
        }
        JsonNode tls = s.get("tls");
        Scenario.Tls settings = tls == null ? null : new Scenario.Tls(tls.get("mode").asString(),
                tls.get("credentials").asString(), tls.path("verifyPeer").asBoolean(false));
        String profile = s.has("validate") ? s.get("validate").path("profile").asString("strict") : null;
        return new Scenario.Server(exports, s.has("minBlock") ? s.get("minBlock").asInt() : null, settings, bitmaps,
                profile, strings(s.path("args")));
    }

    /** What ties the server section to the command: TLS placeholders need TLS, bitmaps need a writable export. */
    private static void checkServer(Path file, Scenario scenario) {
        Scenario.Server server = scenario.server();
        for (String placeholder : CellRunner.TLS_PLACEHOLDERS) {
            if (server.tls() == null && scenario.command().contains(placeholder)) {
                throw new IllegalArgumentException(file + ": the command uses " + placeholder + " but server.tls is not set");
            }
        }
        for (Scenario.Bitmap b : server.bitmaps()) {
            Scenario.Export e = server.exports().stream().filter(x -> x.name().equals(b.export())).findFirst().orElse(null);
            if (e == null || e.readOnly() || e.isBochs()) {
                throw new IllegalArgumentException(file + ": bitmap " + b.name() + " needs a writable memory or file export"
                        + " named " + b.export());
            }
        }
    }

    private static Scenario.Expect expect(JsonNode e) {
        JsonNode exit = e.get("exitStatus");
        Integer exitStatus = exit == null ? Integer.valueOf(0) : exit.isNumber() ? Integer.valueOf(exit.asInt()) : null;
        List<Scenario.FileCheck> files = new ArrayList<>();
        for (JsonNode f : e.path("files")) {
            files.add(new Scenario.FileCheck(f.get("path").asString(), text(f, "sha256"), text(f, "sameAs"),
                    f.has("size") ? f.get("size").asLong() : null));
        }
        return new Scenario.Expect(exitStatus, strings(e.path("stdout")), strings(e.path("stderr")),
                strings(e.path("output")), strings(e.path("notOutput")), files, violations(e.get("violations")));
    }

    private static Scenario.ViolationRule violations(JsonNode v) {
        if (v == null) {
            return Scenario.ViolationRule.DEFAULT;
        }
        List<Scenario.AllowedViolation> allow = new ArrayList<>();
        for (JsonNode a : v.path("allow")) {
            allow.add(new Scenario.AllowedViolation(a.get("requirement").asString(), a.get("reason").asString()));
        }
        return new Scenario.ViolationRule(v.path("maxMust").asInt(0),
                v.has("maxShould") ? Integer.valueOf(v.get("maxShould").asInt()) : null,
                v.path("minConnections").asInt(1), allow);
    }

    private static void checkPatterns(Path file, Scenario.Expect expect) {
        List<String> all = new ArrayList<>(expect.stdout());
        all.addAll(expect.stderr());
        all.addAll(expect.output());
        all.addAll(expect.notOutput());
        for (String regex : all) {
            try {
                Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(file + ": bad pattern " + regex + ": " + e.getDescription());
            }
        }
    }

    private static JsonNode read(Path file) {
        try {
            return JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode node, String field) {
        return node.has(field) ? node.get(field).asString() : null;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode item : array) {
            out.add(item.asString());
        }
        return out;
    }
}
