package dev.nbdref.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The committed Bochs corpus against the real qemu-img and the nbdref jar: qemu does exactly what the manifest
 * records (so the recorded differences are real), every image qemu and lenient nbdref both read converts to the
 * same bytes, and every malformed image makes {@code bochs check} and {@code bochs convert} exit 1 with one
 * line naming the rule, promptly and without a stack trace.
 */
class BochsFixturesInteropTest {
    private static final Path CORPUS = Path.of(System.getProperty("basedir", "."), "fixtures", "bochs");
    /** A JVM start included; the check itself is timed in-process by BochsCliTest. */
    private static final long PROCESS_LIMIT_MS = 5_000;

    @TempDir
    Path dir;

    private static List<JsonNode> fixtures() throws IOException {
        List<JsonNode> list = new ArrayList<>();
        new ObjectMapper().readTree(Files.readString(CORPUS.resolve("manifest.json"))).get("fixtures").forEach(list::add);
        return list;
    }

    private static String file(JsonNode f) {
        return CORPUS.resolve(f.get("file").asString()).toString();
    }

    @Test
    void qemuDoesWhatTheManifestRecordsAndAgreesWithLenientReadsWhereItSaysSo() throws IOException {
        List<String> failures = new ArrayList<>();
        for (JsonNode f : fixtures()) {
            Path out = dir.resolve(f.get("file").asString() + ".qemu.raw");
            PeerResult qemu = PeerCommand.of("qemu-img", "convert", "-f", "bochs", "-O", "raw", file(f), out).run();
            JsonNode expected = f.get("qemu");
            if (expected.get("outcome").asString().equals("ok")) {
                if (!qemu.succeeded()) {
                    failures.add(qemu.describe());
                } else if (!TestData.sha256(out).equals(expected.get("sha256").asString())
                        || Files.size(out) != expected.get("size").asLong()) {
                    failures.add(f.get("file").asString() + ": qemu read other bytes than the manifest records");
                }
            } else if (qemu.succeeded() || !qemu.stderr().contains(expected.get("message").asString())) {
                failures.add(f.get("file").asString() + ": expected qemu to fail with \""
                        + expected.get("message").asString() + "\"\n" + qemu.describe());
            }
            boolean lenientOk = f.get("expected").get("lenient").get("outcome").asString().equals("ok");
            boolean agrees = !f.get("qemuDiffers").asBoolean();
            if (lenientOk && agrees && !expected.get("sha256").asString()
                    .equals(f.get("expected").get("lenient").get("sha256").asString())) {
                failures.add(f.get("file").asString() + ": manifest says qemu agrees but records other bytes");
            }
            Files.deleteIfExists(out);
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void everyImageQemuReadsConvertsToTheSameBytesWithNbdref() throws Exception {
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        List<Runnable> jobs = new ArrayList<>();
        for (JsonNode f : fixtures()) {
            if (!f.get("qemu").get("outcome").asString().equals("ok")) continue;
            if (!f.get("expected").get("lenient").get("outcome").asString().equals("ok")) continue;
            jobs.add(() -> {
                String name = f.get("file").asString();
                Path ours = dir.resolve(name + ".nbdref.raw");
                Path theirs = dir.resolve(name + ".qemu.raw");
                PeerResult a = jar("bochs", "convert", file(f), ours);
                PeerResult b = PeerCommand.of("qemu-img", "convert", "-f", "bochs", "-O", "raw", file(f), theirs).run();
                try {
                    if (!a.succeeded() || !b.succeeded()) {
                        failures.add(a.describe() + "\n" + b.describe());
                    } else if (!TestData.sha256(ours).equals(TestData.sha256(theirs))) {
                        failures.add(name + ": nbdref and qemu-img read different bytes");
                    }
                } catch (IOException e) {
                    failures.add(name + ": " + e);
                }
            });
        }
        runAll(jobs);
        assertTrue(jobs.size() >= 10, "enough images both read: " + jobs.size());
        assertEquals(List.of(), failures);
    }

    @Test
    void everyMalformedImageFailsCleanlyFromTheCommandLine() throws Exception {
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        List<Runnable> jobs = new ArrayList<>();
        java.util.Set<String> converted = new java.util.HashSet<>();
        for (JsonNode f : fixtures()) {
            for (String mode : List.of("strict", "lenient")) {
                JsonNode expected = f.get("expected").get(mode);
                if (!expected.get("outcome").asString().equals("error")) continue;
                if (mode.equals("strict") && f.get("category").asString().equals("malformed")) continue; // lenient covers it
                String rule = expected.get("rule").asString();
                List<Object> flags = mode.equals("strict") ? List.of("--strict") : List.of();
                Path out = dir.resolve(f.get("file").asString() + "." + mode + ".raw");
                jobs.add(() -> expectInvalid(failures, rule, jar(cat(List.of("bochs", "check"), flags, file(f)))));
                // convert shares check's code path; once per rule and mode keeps the JVM starts down
                // (BochsCliTest runs convert on every fixture in-process)
                if (converted.add(rule + mode)) {
                    jobs.add(() -> {
                        expectInvalid(failures, rule, jar(cat(List.of("bochs", "convert"), flags, file(f), out)));
                        if (Files.exists(out)) failures.add(out + " left behind");
                    });
                }
            }
        }
        runAll(jobs);
        assertTrue(jobs.size() >= 60, "every malformed fixture was run: " + jobs.size());
        assertEquals(List.of(), failures);
    }

    private static void expectInvalid(List<String> failures, String rule, PeerResult r) {
        boolean ok = r.exitCode() == 1 && !r.timedOut()
                && r.stderr().contains("(" + rule + " ") && r.stderr().lines().count() == 1
                && !r.stderr().contains("Exception") && !r.stderr().contains("\tat ")
                && r.stdout().isEmpty() && r.elapsed().toMillis() < PROCESS_LIMIT_MS;
        if (!ok) failures.add("expected exit 1 naming " + rule + " within " + PROCESS_LIMIT_MS + " ms, took "
                + r.elapsed().toMillis() + " ms\n" + r.describe());
    }

    private static Object[] cat(List<?> head, List<?> flags, Object... tail) {
        List<Object> all = new ArrayList<>(head);
        all.addAll(flags);
        all.addAll(List.of(tail));
        return all.toArray();
    }

    /**
     * The jar, run as a user runs it. C1-only compilation only shortens the start of these short runs (the
     * tests start the JVM over a hundred times); it changes nothing nbdref does.
     */
    static PeerResult jar(Object... args) {
        List<Object> command = new ArrayList<>(List.of("-XX:TieredStopAtLevel=1", "-jar",
                System.getProperty("nbdref.jar", "target/nbdref.jar")));
        command.addAll(List.of(args));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return PeerCommand.of(java, command.toArray()).timeout(Duration.ofSeconds(60)).run();
    }

    /** Two at a time: the machines this runs on have two cores. */
    private static void runAll(List<Runnable> jobs) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Runnable job : jobs) futures.add(pool.submit(job));
            for (Future<?> future : futures) future.get();
        } finally {
            pool.shutdownNow();
        }
    }
}
