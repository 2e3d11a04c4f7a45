package dev.nbdref.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Checks that spec/*.json is well formed, complete and anchored in real spec headings. */
class SpecCatalogTest {
    private static final String CONSTANTS = "spec/constants.json";
    private static final String CONSTANTS_SCHEMA = "spec/schemas/constants.schema.json";
    private static final int DIGEST_SERVER_RULES = 72;
    private static final int DIGEST_CLIENT_RULES = 40;

    private final RequirementCatalog catalog = RequirementCatalog.standard();

    @Test
    void bothFilesMatchTheirSchemas() {
        assertEquals(List.of(), JsonSchemas.errors(SpecFiles.classpathJson(RequirementCatalog.RESOURCE),
                RequirementCatalog.SCHEMA));
        assertEquals(List.of(), JsonSchemas.errors(SpecFiles.classpathJson(CONSTANTS), CONSTANTS_SCHEMA));
    }

    @Test
    void schemaRejectsMalformedRequirements() {
        ObjectNode doc = (ObjectNode) SpecFiles.classpathJson(RequirementCatalog.RESOURCE);
        ObjectNode first = (ObjectNode) doc.get("requirements").get(0);
        first.put("id", "S1");             // pattern
        first.put("level", "MUST NOT");    // enum
        first.put("surprise", true);       // additionalProperties
        first.put("reaction", "n/a");      // server rules carry no reaction
        List<String> errors = JsonSchemas.errors(doc, RequirementCatalog.SCHEMA);
        assertTrue(errors.size() >= 4, () -> "expected four errors, got " + errors);
        JsonSchemas.InvalidJsonException e = assertThrows(JsonSchemas.InvalidJsonException.class,
                () -> RequirementCatalog.fromJson(doc));
        assertEquals(errors, e.errors());
    }

    @Test
    void idsAreUniqueAndContiguousAndIncludeEveryDigestId() {
        List<String> ids = catalog.all().stream().map(Requirement::id).toList();
        assertEquals(ids.size(), new HashSet<>(ids).size(), "duplicate ids");
        assertContiguous('S', ids, DIGEST_SERVER_RULES);
        assertContiguous('C', ids, DIGEST_CLIENT_RULES);
    }

    private static void assertContiguous(char prefix, List<String> ids, int digestCount) {
        List<String> ours = ids.stream().filter(id -> id.charAt(0) == prefix).sorted().toList();
        assertTrue(ours.size() >= digestCount, prefix + " rules missing: only " + ours.size());
        for (int i = 0; i < ours.size(); i++) {
            assertEquals(String.format("%c%02d", prefix, i + 1), ours.get(i), "gap in " + prefix + " ids");
        }
    }

    @Test
    void partyFollowsTheIdPrefixAndClientRulesHaveAReaction() {
        for (Requirement r : catalog.all()) {
            boolean client = r.id().startsWith("C");
            assertEquals(client ? Party.CLIENT : Party.SERVER, r.party(), r.id());
            assertEquals(client, r.reactionIfAny().isPresent(), r.id() + " reaction");
        }
    }

    @Test
    void catalogApi() {
        assertSame(catalog, RequirementCatalog.standard(), "standard() is cached");
        assertEquals("S41", catalog.require("S41").id());
        assertTrue(catalog.find("C07").isPresent());
        assertFalse(catalog.find("S00").isPresent());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> catalog.require("S999"));
        assertTrue(e.getMessage().contains("S999"), e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> catalog.all().clear());
    }

    @Test
    void everySectionIsListedInSectionsTxt() {
        Set<String> listed = listedSections();
        List<String> unknown = new ArrayList<>();
        for (Requirement r : catalog.all()) {
            if (!listed.contains(r.section())) {
                unknown.add(r.id() + ": " + r.section());
            }
        }
        for (JsonNode entry : constantEntries()) {
            String section = entry.get("section").asString();
            if (!listed.contains(section)) {
                unknown.add(entry.get("name").asString() + ": " + section);
            }
        }
        assertEquals(List.of(), unknown, "sections missing from spec/sections.txt");
    }

    @Test
    void sectionsTxtNamesRealHeadingsOfTheSharedSpec() {
        Path reference = SpecFiles.projectDir().resolve(Path.of("..", "shared", "spec-reference"));
        Path proto = reference.resolve("nbd-proto.md");
        Assumptions.assumeTrue(Files.isRegularFile(proto), "shared spec not available at " + reference);
        Set<String> headings = new HashSet<>(headings(proto));
        Path extended = reference.resolve("nbd-proto-extended-headers.md");
        if (Files.isRegularFile(extended)) {
            headings.addAll(headings(extended));
        }
        Set<String> missing = new TreeSet<>(listedSections());
        missing.removeAll(headings);
        assertEquals(Set.of(), missing, "spec/sections.txt names headings the spec does not have");
    }

    @Test
    void headingNormalisation() {
        assertEquals(List.of("The base: metadata namespace", "NBD_OPT_INFO and NBD_OPT_GO",
                        "NBD_REP_ERR_UNSUP", "NBD_INFO_EXPORT"),
                headings(Stream.of("### The `base:` metadata namespace",
                        "* `NBD_OPT_INFO` (6) and `NBD_OPT_GO` (7)",
                        "* `NBD_REP_ERR_UNSUP` (2^31 + 1)",
                        "    * `NBD_INFO_EXPORT` (0)",
                        "* `base:` - the server MUST ignore this form",
                        "- bit 0, `NBD_FLAG_FIXED_NEWSTYLE`; MUST be set")));
    }

    // A heading is a markdown title, or a definition item such as "* `NBD_CMD_READ` (0)".
    private static final Pattern TITLE = Pattern.compile("^#+\\s+(.*)$");
    private static final Pattern DEFINITION = Pattern.compile("^\\s*\\*\\s+((?:`NBD_\\w+`\\s*\\([^)]*\\)\\s*(?:and\\s+)?)+)$");

    private static List<String> headings(Path markdown) {
        try (Stream<String> lines = Files.lines(markdown)) {
            return headings(lines);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> headings(Stream<String> lines) {
        List<String> out = new ArrayList<>();
        lines.forEach(line -> {
            Matcher title = TITLE.matcher(line);
            Matcher definition = DEFINITION.matcher(line);
            String raw = title.matches() ? title.group(1) : definition.matches() ? definition.group(1) : null;
            if (raw != null) {
                out.add(raw.replaceAll("\\s*\\([^)]*\\)", "").replace("`", "").replaceAll("\\s+", " ").trim());
            }
        });
        return out;
    }

    private static Set<String> listedSections() {
        Set<String> out = new LinkedHashSet<>();
        for (String line : SpecFiles.classpathText("spec/sections.txt").split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                out.add(line.strip());
            }
        }
        return out;
    }

    private static List<JsonNode> constantEntries() {
        List<JsonNode> out = new ArrayList<>();
        for (var group : SpecFiles.classpathJson(CONSTANTS).properties()) {
            if (group.getValue().isObject()) {
                group.getValue().get("entries").forEach(out::add);
            }
        }
        return out;
    }
}
