package dev.nbdref.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.spec.SourceCitations.Citation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Measures how much of the catalog the code base touches. An ID is "cited" when main code names
 * it in a comment or string literal, and "tested" when a test carries {@code @Verifies} with it.
 * Unknown IDs fail the build; the coverage figures are only reported, not enforced yet.
 */
class SpecCoverageTest {
    private final RequirementCatalog catalog = RequirementCatalog.standard();

    @Test
    void everyCitedIdExistsAndCoverageIsReported() throws IOException {
        Path project = SpecFiles.projectDir();
        List<Citation> cited = scan(project, "src/main/java", false);
        List<Citation> tested = scan(project, "src/test/java", true);

        List<String> unknown = Stream.concat(cited.stream(), tested.stream())
                .filter(c -> !catalog.contains(c.id()))
                .map(Citation::toString)
                .toList();
        assertEquals(List.of(), unknown, "requirement IDs that spec/requirements.json does not define");

        String report = report(ids(cited), ids(tested));
        System.out.println(report);
        assertTrue(report.contains("server MUST") && report.contains("client MUST"));
        write(report);
    }

    @Test
    void scannerCountsOnlyDeliberateCitations() {
        String main = """
                class X { // S41: comment counts
                  String s = "C19"; int S02 = 1; /* S03 */ char c = '"';
                  String t = \"""
                      S04 in a text block\""";
                }
                """;
        assertEquals(List.of("S41", "C19", "S03", "S04"),
                SourceCitations.inCommentsAndStrings("X.java", main).stream().map(Citation::id).toList());

        String test = """
                @Verifies({"S41", "C07"}) class T {
                  // @Verifies("S99") in a comment does not count
                  String s = "@Verifies(\\"S98\\")";
                  @dev.nbdref.testing.Verifies("C01") void m() {}
                }
                """;
        List<Citation> found = SourceCitations.inVerifiesAnnotations("T.java", test);
        assertEquals(List.of("S41", "C07", "C01"), found.stream().map(Citation::id).toList());
        assertEquals(4, found.get(2).line());
    }

    /** Citations under root: @Verifies IDs for test code, comment and string IDs for main code. */
    private static List<Citation> scan(Path project, String tree, boolean testCode) throws IOException {
        Path root = project.resolve(tree);
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<Citation> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String source = Files.readString(file, StandardCharsets.UTF_8);
                String name = project.relativize(file).toString();
                out.addAll(testCode
                        ? SourceCitations.inVerifiesAnnotations(name, source)
                        : SourceCitations.inCommentsAndStrings(name, source));
            }
        }
        return out;
    }

    private static Set<String> ids(List<Citation> citations) {
        return citations.stream().map(Citation::id).collect(Collectors.toSet());
    }

    private String report(Set<String> cited, Set<String> tested) {
        StringBuilder out = new StringBuilder("Requirement coverage (spec/requirements.json)\n");
        out.append(String.format("%-18s %6s %6s %6s %6s %8s%n", "", "total", "cited", "tested", "both", "neither"));
        row(out, "server MUST", r -> r.party() == Party.SERVER && r.isMust(), cited, tested);
        row(out, "client MUST", r -> r.party() == Party.CLIENT && r.isMust(), cited, tested);
        row(out, "server SHOULD/MAY", r -> r.party() == Party.SERVER && !r.isMust(), cited, tested);
        row(out, "client SHOULD/MAY", r -> r.party() == Party.CLIENT && !r.isMust(), cited, tested);
        out.append("MUST rules neither cited nor tested:\n");
        for (Party party : Party.values()) {
            String neither = catalog.all().stream()
                    .filter(r -> r.party() == party && r.isMust())
                    .map(Requirement::id)
                    .filter(id -> !cited.contains(id) && !tested.contains(id))
                    .collect(Collectors.joining(" "));
            out.append(String.format("  %-6s %s%n", party.name().toLowerCase(java.util.Locale.ROOT) + ":",
                    neither.isEmpty() ? "(none)" : neither));
        }
        return out.toString();
    }

    private void row(StringBuilder out, String label, Predicate<Requirement> filter, Set<String> cited,
                     Set<String> tested) {
        List<String> ids = catalog.all().stream().filter(filter).map(Requirement::id).toList();
        long c = ids.stream().filter(cited::contains).count();
        long t = ids.stream().filter(tested::contains).count();
        long both = ids.stream().filter(id -> cited.contains(id) && tested.contains(id)).count();
        long neither = ids.stream().filter(id -> !cited.contains(id) && !tested.contains(id)).count();
        out.append(String.format("%-18s %6d %6d %6d %6d %8d%n", label, ids.size(), c, t, both, neither));
    }

    /** Writes the report into the build directory in use (it honours -DbuildDir). */
    private static void write(String report) {
        Path buildDir = buildDir();
        if (buildDir == null) {
            return;
        }
        try {
            Files.writeString(buildDir.resolve("spec-coverage.txt"), report, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The parent of test-classes, else ./target when it exists, else null (report only printed). */
    private static Path buildDir() {
        try {
            Path classes = Path.of(SpecCoverageTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isDirectory(classes) && classes.getParent() != null) {
                return classes.getParent();
            }
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            // fall through to the working-directory guess
        }
        Path target = Path.of(System.getProperty("user.dir"), "target");
        return Files.isDirectory(target) ? target : null;
    }
}
