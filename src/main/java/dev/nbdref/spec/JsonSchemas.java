package dev.nbdref.spec;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;

/**
 * Validates JSON documents (spec files, configs, reports) against JSON Schema draft 2020-12
 * schemas stored on the classpath, e.g. {@code "spec/schemas/requirements.schema.json"}.
 */
public final class JsonSchemas {
    private JsonSchemas() {}

    private static final String CLASSPATH = "classpath:";
    private static final SchemaRegistry REGISTRY =
            SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    // Compiling a schema is far costlier than validating with it, so keep each one.
    private static final Map<String, Schema> SCHEMAS = new ConcurrentHashMap<>();

    /** Every validation error as "location: message"; empty when the node is valid. */
    public static List<String> errors(JsonNode node, String classpathSchema) {
        List<Error> errors = schema(classpathSchema).validate(node);
        return errors.stream().map(e -> e.getInstanceLocation() + ": " + e.getMessage()).toList();
    }

    /** Throws {@link InvalidJsonException} listing every error when the node does not validate. */
    public static void validate(JsonNode node, String classpathSchema) {
        List<String> errors = errors(node, classpathSchema);
        if (!errors.isEmpty()) {
            throw new InvalidJsonException(classpathSchema, errors);
        }
    }

    private static Schema schema(String classpathSchema) {
        String location = classpathSchema.startsWith(CLASSPATH) ? classpathSchema : CLASSPATH + classpathSchema;
        return SCHEMAS.computeIfAbsent(location, l -> REGISTRY.getSchema(SchemaLocation.of(l)));
    }

    /** A document that does not match its schema; the message names every error. */
    public static final class InvalidJsonException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final transient List<String> errors;

        InvalidJsonException(String schema, List<String> errors) {
            super("document does not match " + schema + " (" + errors.size() + " error"
                    + (errors.size() == 1 ? "" : "s") + "):\n  " + String.join("\n  ", errors));
            this.errors = List.copyOf(errors);
        }

        public List<String> errors() {
            return errors;
        }
    }
}
