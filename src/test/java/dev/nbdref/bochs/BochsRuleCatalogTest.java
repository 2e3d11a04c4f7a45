package dev.nbdref.bochs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.spec.JsonSchemas;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** spec/bochs-rules.json matches its schema and the BochsRule enum the code raises errors with. */
class BochsRuleCatalogTest {

    private static JsonNode catalog() throws IOException {
        try (InputStream in = BochsRuleCatalogTest.class.getClassLoader().getResourceAsStream("spec/bochs-rules.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    @Test
    void catalogMatchesItsSchema() throws IOException {
        assertEquals(List.of(), JsonSchemas.errors(catalog(), "spec/schemas/bochs-rules.schema.json"));
    }

    @Test
    void everyRuleInTheCatalogIsTheEnumConstantWithTheSameKindAndModes() throws IOException {
        List<String> ids = new ArrayList<>();
        for (JsonNode rule : catalog().get("rules")) {
            String id = rule.get("id").asString();
            ids.add(id);
            BochsRule r = BochsRule.valueOf(id);
            assertEquals(r.title(), rule.get("title").asString(), id);
            JsonNode kind = rule.get("kind");
            assertEquals(r.kind() == null ? null : r.kind().name(), kind.isNull() ? null : kind.asString(), id);
            assertEquals(r.rejectsIn(Mode.STRICT), rule.get("strict").asString().equals("reject"), id + " strict");
            assertEquals(r.rejectsIn(Mode.LENIENT), rule.get("lenient").asString().equals("reject"), id + " lenient");
        }
        assertEquals(java.util.Arrays.stream(BochsRule.values()).map(BochsRule::id).toList(), ids,
                "the catalog lists every enum constant, in order, and nothing else");
    }

    @Test
    void idsAreContiguousAndEveryErrorKindIsDescribed() throws IOException {
        for (int i = 0; i < BochsRule.values().length; i++) {
            assertEquals(String.format("B%02d", i + 1), BochsRule.values()[i].id());
        }
        List<String> kinds = new ArrayList<>();
        catalog().get("errorKinds").forEach(k -> kinds.add(k.get("name").asString()));
        assertEquals(java.util.Arrays.stream(BochsErrorKind.values()).map(Enum::name).toList(), kinds);
        for (BochsErrorKind kind : BochsErrorKind.values()) {
            assertTrue(java.util.Arrays.stream(BochsRule.values()).anyMatch(r -> r.kind() == kind),
                    kind + " is raised by some rule");
        }
    }
}
