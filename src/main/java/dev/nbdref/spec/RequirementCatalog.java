package dev.nbdref.spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The requirement catalog of spec/requirements.json, read from the classpath (the build copies
 * spec/ there) and checked against its schema, so a malformed catalog fails at first use.
 */
public final class RequirementCatalog {
    public static final String RESOURCE = "spec/requirements.json";
    public static final String SCHEMA = "spec/schemas/requirements.schema.json";

    private final List<Requirement> all;
    private final Map<String, Requirement> byId;

    private RequirementCatalog(List<Requirement> requirements) {
        Map<String, Requirement> map = new LinkedHashMap<>();
        for (Requirement r : requirements) {
            if (map.putIfAbsent(r.id(), r) != null) {
                throw new IllegalStateException("duplicate requirement id " + r.id() + " in " + RESOURCE);
            }
        }
        this.all = List.copyOf(requirements);
        this.byId = Collections.unmodifiableMap(map);
    }

    /** The catalog shipped with nbdref, loaded once. */
    public static RequirementCatalog standard() {
        return Holder.STANDARD;
    }

    // Lazy holder: loading happens on first use and is thread-safe without locking.
    private static final class Holder {
        static final RequirementCatalog STANDARD = load();
    }

    private static RequirementCatalog load() {
        ClassLoader loader = RequirementCatalog.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the classpath");
            }
            return fromJson(new ObjectMapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** Builds a catalog from an already parsed document, validating it first. */
    public static RequirementCatalog fromJson(JsonNode root) {
        JsonSchemas.validate(root, SCHEMA);
        List<Requirement> list = new ArrayList<>();
        for (JsonNode n : root.get("requirements")) {
            JsonNode reaction = n.get("reaction");
            list.add(new Requirement(
                    n.get("id").asString(),
                    Party.fromJson(n.get("party").asString()),
                    Level.fromJson(n.get("level").asString()),
                    n.get("area").asString(),
                    n.get("section").asString(),
                    n.get("title").asString(),
                    n.get("text").asString(),
                    reaction == null ? null : reaction.asString()));
        }
        return new RequirementCatalog(list);
    }

    public Optional<Requirement> find(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** The requirement with this id; an unknown id is a programming error in the caller. */
    public Requirement require(String id) {
        Requirement r = byId.get(id);
        if (r == null) {
            throw new IllegalArgumentException("unknown requirement id '" + id + "' (not in " + RESOURCE + ")");
        }
        return r;
    }

    /** Every requirement in catalog order (server rules first, then client rules). */
    public List<Requirement> all() {
        return all;
    }

    public boolean contains(String id) {
        return byId.containsKey(id);
    }
}
