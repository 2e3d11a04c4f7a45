package dev.nbdref.bochs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * {@code nbdref bochs ...} run in-process against the committed corpus: every fixture gets the exit status,
 * message and output its manifest promises, quickly and without a stack trace.
 */
class BochsCliTest {
    private static final Path CORPUS = Path.of(System.getProperty("basedir", "."), "fixtures", "bochs");

    @TempDir
    Path dir;

    record Run(int exit, String out, String err, long millis) {}

    /** Built once: picocli resets every option before each parse, and building the model is the slow part. */
    private static final CommandLine CLI = new CommandLine(new Main());

    static {
        CLI.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("nbdref: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            return 2;
        });
    }

    /** Runs the command line as Main does (same one-line error handler), capturing both streams. */
    static Run run(String... args) {
        CommandLine cli = CLI;
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        long start = System.nanoTime();
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString(), (System.nanoTime() - start) / 1_000_000);
    }

    private static JsonNode manifest() throws IOException {
        return new ObjectMapper().readTree(Files.readString(CORPUS.resolve("manifest.json")));
    }

    @Test
    void everyFixtureChecksAndConvertsAsItsManifestSays() throws IOException {
        List<String> failures = new ArrayList<>();
        for (JsonNode f : manifest().get("fixtures")) {
            String image = CORPUS.resolve(f.get("file").asString()).toString();
            for (String mode : List.of("strict", "lenient")) {
                JsonNode expected = f.get("expected").get(mode);
                List<String> flags = mode.equals("strict") ? List.of("--strict") : List.of();
                Run check = run(args("bochs", "check", image, flags));
                Path raw = dir.resolve(f.get("file").asString() + "." + mode + ".raw");
                Run convert = run(args("bochs", "convert", image, raw.toString(), flags));
                String what = f.get("file").asString() + " " + mode;
                if (expected.get("outcome").asString().equals("ok")) {
                    expect(failures, check.exit() == 0, what + " check: " + check);
                    expect(failures, convert.exit() == 0, what + " convert: " + convert);
                    expect(failures, expected.get("sha256").asString().equals(sha256(raw)), what + " content");
                } else {
                    String rule = expected.get("rule").asString();
                    String kind = expected.get("kind").asString();
                    for (Run r : List.of(check, convert)) {
                        expect(failures, r.exit() == 1, what + " exit 1: " + r);
                        expect(failures, r.err().contains(kind + " (" + rule + " "), what + " names its rule: " + r);
                        expect(failures, !r.err().contains("Exception") && !r.err().contains("\tat "), what + " trace: " + r);
                        expect(failures, r.err().lines().count() == 1, what + " one line: " + r);
                        expect(failures, r.millis() < 1000, what + " took " + r.millis() + " ms");
                    }
                    expect(failures, !Files.exists(raw), what + ": convert left its output behind");
                }
            }
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void infoDescribesTheImageAndItsStrictVerdict() throws IOException {
        Run info = run("bochs", "info", "--json", CORPUS.resolve("009-disk-partial-sector.img").toString());
        assertEquals(0, info.exit(), info.toString());
        JsonNode json = new ObjectMapper().readTree(info.out());
        assertEquals("Growing", json.get("subtype").asString());
        assertEquals(json.get("diskBytes").asLong() / 512 * 512, json.get("virtualSize").asLong());
        assertTrue(json.get("strictVerdict").asString().contains("B17"), json.toString());
        assertTrue(json.get("notes").get(0).asString().contains("B17"));
        Run text = run("bochs", "info", CORPUS.resolve("000-growing-v2.img").toString());
        assertTrue(text.out().contains("strictVerdict: valid"), text.out());
        Run bad = run("bochs", "info", CORPUS.resolve("013-bad-magic.img").toString());
        assertEquals(1, bad.exit());
    }

    @Test
    void createMakesBximageSizedImagesAndImportsRawFiles() throws IOException {
        Path empty = dir.resolve("e.img");
        Run created = run("bochs", "create", "--size", "10M", empty.toString());
        assertEquals(0, created.exit(), created.toString());
        assertTrue(created.out().contains("catalog 1024, bitmap 4, extent 16384"), created.out());
        assertEquals(512 + 4 * 1024, Files.size(empty));

        byte[] raw = new byte[3 << 20];
        for (int i = 1 << 20; i < raw.length; i += 7) raw[i] = (byte) i;
        Path rawFile = Files.write(dir.resolve("in.raw"), raw);
        Path image = dir.resolve("in.img");
        assertEquals(0, run("bochs", "create", "--from", rawFile.toString(), image.toString()).exit());
        Path back = dir.resolve("back.raw");
        assertEquals(0, run("bochs", "convert", "--strict", image.toString(), back.toString()).exit());
        assertArrayEquals(raw, Files.readAllBytes(back));

        Run onto = run("bochs", "convert", image.toString(), image.toString());
        assertEquals(2, onto.exit(), "converting onto the image itself is refused: " + onto);
        assertEquals(0, run("bochs", "check", "--strict", image.toString()).exit(), "and the image is intact");

        Run exists = run("bochs", "create", "--size", "1M", image.toString());
        assertEquals(2, exists.exit(), "an existing image is never overwritten");
        Run noSize = run("bochs", "create", dir.resolve("x.img").toString());
        assertEquals(2, noSize.exit());
        assertFalse(noSize.err().contains("\tat "));
        Run odd = run("bochs", "create", "--size", "1000", dir.resolve("odd.img").toString());
        assertEquals(2, odd.exit());
        assertTrue(odd.err().contains("multiple of 512"), odd.err());
    }

    @Test
    void fixturesCommandWritesTheCorpusAndSaysWhat() {
        Run r = run("bochs", "fixtures", "--seed", "3", "--count", "30", "--out", dir.resolve("fx").toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().startsWith("wrote 30 fixtures ("), r.out());
        assertTrue(Files.exists(dir.resolve("fx").resolve("manifest.json")));
    }

    private static String[] args(String a, String b, String image, List<String> flags) {
        List<String> all = new ArrayList<>(List.of(a, b));
        all.addAll(flags);
        all.add(image);
        return all.toArray(String[]::new);
    }

    private static String[] args(String a, String b, String image, String out, List<String> flags) {
        List<String> all = new ArrayList<>(List.of(args(a, b, image, flags)));
        all.add(out);
        return all.toArray(String[]::new);
    }

    private static void expect(List<String> failures, boolean ok, String what) {
        if (!ok) failures.add(what);
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
