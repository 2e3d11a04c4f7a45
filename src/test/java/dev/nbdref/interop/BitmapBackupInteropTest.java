package dev.nbdref.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nbdref.bitmap.ManagementClient;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The incremental-backup flow with real peers: qemu-io writes over NBD, nbdinfo and qemu-img read
 * {@code qemu:dirty-bitmap:b0}, the management socket clears it, and the persistent bitmap survives clean
 * restarts exactly and kill -9 as entirely dirty.
 */
class BitmapBackupInteropTest {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long GRAN = 64 * KIB;
    private static final long SIZE = 64 * MIB;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** Writes of every kind (unaligned, zeroes, discard, a run of granules) and what they must dirty. */
    private static final String[] FIRST_WRITES = {
            "write -P 0xaa 1M 64k",      // granule 16
            "write -z 20M 128k",         // granules 320-321
            "write -P 0x11 30000 100",   // inside granule 0
            "discard 40M 64k",           // granule 640
            "write -P 0x22 50M 1",       // granule 800, one byte
            "write -P 0x33 63M 1M",      // the last 16 granules
            "flush"};
    private static final List<Range> FIRST_DIRTY = List.of(new Range(0, GRAN), new Range(MIB, GRAN),
            new Range(20 * MIB, 2 * GRAN), new Range(40 * MIB, GRAN), new Range(50 * MIB, GRAN),
            new Range(63 * MIB, MIB));

    @Test
    void dirtyExtentsClearAndWriteAgain() throws IOException {
        Path image = TestData.sparseFile(dir.resolve("disk.raw"), SIZE);
        Path socket = dir.resolve("m.sock");
        try (NbdrefProcess server = serve(image, "--manage", socket.toString())) {
            assertDirty(server, List.of(), "a new bitmap is clean");
            qemuIo(server, FIRST_WRITES);
            assertDirty(server, FIRST_DIRTY, "after the first writes");

            JsonNode cleared = manage(socket, "{\"id\":1,\"verb\":\"clear\",\"export\":\"d\",\"bitmap\":\"b0\"}");
            assertEquals(0, cleared.at("/bitmap/dirtyBytes").asLong(), cleared.toString());
            assertDirty(server, List.of(), "after clear");

            qemuIo(server, "write -P 0xbb 5M 4k", "write -P 0xcc 10M 65537", "flush");
            assertDirty(server, List.of(new Range(5 * MIB, GRAN), new Range(10 * MIB, 2 * GRAN)),
                    "only the writes after the clear");
            JsonNode list = manage(socket, "{\"id\":2,\"verb\":\"list\",\"export\":\"d\"}");
            assertEquals(3 * GRAN, list.at("/exports/0/bitmaps/0/dirtyBytes").asLong(), list.toString());
            assertTrue(list.at("/exports/0/persistent").asBoolean(), list.toString());
            assertEquals(0, server.stop(), "clean shutdown\n" + server.logReport());
        }
        assertTrue(Files.exists(image.resolveSibling("disk.raw.nbdref-bitmaps")), "the store is beside the image");
        assertFalse(Files.exists(dir.resolve("m.sock")), "the socket is removed on shutdown");

        // a clean restart keeps the bits exactly
        try (NbdrefProcess server = serve(image)) {
            assertDirty(server, List.of(new Range(5 * MIB, GRAN), new Range(10 * MIB, 2 * GRAN)),
                    "after a clean restart");
            PeerResult read = PeerCommand.of("qemu-io", "-f", "raw", "-r", "-c", "read -P 0xaa 1M 64k",
                    "-c", "read -P 0xbb 5M 4k", server.uri("d")).run().assertSuccess(server);
            assertFalse(read.output().contains("Pattern verification failed"), read.describe());
        }
    }

    /** kill -9 between writes: after each restart the bitmap is entirely dirty, so no write can be missing. */
    @Test
    void killedServerComesBackAllDirty() throws IOException {
        Path image = TestData.sparseFile(dir.resolve("disk.raw"), SIZE);
        Path socket = dir.resolve("m.sock");
        try (NbdrefProcess server = serve(image, "--manage", socket.toString())) {
            qemuIo(server, "write -P 0xaa 1M 64k");
            assertDirty(server, List.of(new Range(MIB, GRAN)), "before the kill");
            kill9(server);
        }
        try (NbdrefProcess server = serve(image, "--manage", socket.toString())) {
            assertTrue(server.log().contains("entirely dirty"), "a warning is logged\n" + server.logReport());
            assertDirty(server, List.of(new Range(0, SIZE)), "after kill -9");
            manage(socket, "{\"verb\":\"clear\",\"export\":\"d\",\"bitmap\":\"b0\"}");
            qemuIo(server, "write -P 0xdd 7M 4k");
            assertDirty(server, List.of(new Range(7 * MIB, GRAN)), "cleared, then one write");
            kill9(server);
        }
        try (NbdrefProcess server = serve(image)) {
            assertDirty(server, List.of(new Range(0, SIZE)), "after the second kill -9");
            PeerResult read = PeerCommand.of("qemu-io", "-f", "raw", "-r", "-c", "read -P 0xaa 1M 64k",
                    "-c", "read -P 0xdd 7M 4k", server.uri("d")).run().assertSuccess(server);
            assertFalse(read.output().contains("Pattern verification failed"), read.describe());
            assertEquals(0, server.stop(), server.logReport());
        }
        try (NbdrefProcess server = serve(image)) {
            assertDirty(server, List.of(new Range(0, SIZE)), "a clean shutdown keeps the recovered bits");
        }
    }

    /**
     * qemu-nbd serving a qcow2 bitmap is the reference: the same writes, applied to a qcow2 with bitmap b0 and
     * served read-only by qemu-nbd, give the same nbdinfo map line for line.
     */
    @Test
    void sameMapAsQemuNbd() throws Exception {
        Path image = TestData.sparseFile(dir.resolve("disk.raw"), SIZE);
        String ours;
        try (NbdrefProcess server = serve(image)) {
            qemuIo(server, FIRST_WRITES);
            ours = PeerCommand.of("nbdinfo", "--map=qemu:dirty-bitmap:b0", server.uri("d")).run()
                    .assertSuccess(server).stdout();
        }
        Path qcow2 = dir.resolve("ref.qcow2");
        PeerCommand.of("qemu-img", "create", "-f", "qcow2", qcow2, SIZE).run().assertSuccess();
        PeerCommand.of("qemu-img", "bitmap", "--add", "-g", GRAN, qcow2, "b0").run().assertSuccess();
        List<Object> io = new ArrayList<>(List.of("-f", "qcow2"));
        for (String c : FIRST_WRITES) io.addAll(List.of("-c", c));
        io.add(qcow2);
        PeerCommand.of("qemu-io", io.toArray()).run().assertSuccess();
        int port = freePort();
        Process qemuNbd = new ProcessBuilder(Peer.require("qemu-nbd").toString(), "-f", "qcow2", "-x", "disk",
                "-B", "b0", "-r", "-t", "-p", Integer.toString(port), "-b", "127.0.0.1", qcow2.toString())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(dir.resolve("qemu-nbd.log").toFile()).start();
        try {
            String uri = "nbd://127.0.0.1:" + port + "/disk";
            PeerResult reference = null;
            for (int attempt = 0; attempt < 100; attempt++) { // qemu-nbd prints nothing when it is ready
                reference = PeerCommand.of("nbdinfo", "--map=qemu:dirty-bitmap:b0", uri).run();
                if (reference.succeeded() || !qemuNbd.isAlive()) break;
                Thread.sleep(100);
            }
            if (!reference.succeeded()) {
                fail("qemu-nbd reference failed\n" + reference.describe() + Files.readString(dir.resolve("qemu-nbd.log")));
            }
            assertEquals(reference.stdout(), ours, "nbdref's dirty map differs from qemu-nbd's");
        } finally {
            qemuNbd.destroy();
            if (!qemuNbd.waitFor(10, TimeUnit.SECONDS)) qemuNbd.destroyForcibly();
        }
    }

    private static NbdrefProcess serve(Path image, String... extra) {
        List<String> args = new ArrayList<>(List.of("--export", "d=file:" + image, "--bitmap", "d:b0:65536"));
        args.addAll(List.of(extra));
        return NbdrefProcess.start(args.toArray(new String[0]));
    }

    private static void qemuIo(NbdrefProcess server, String... commands) {
        List<Object> args = new ArrayList<>(List.of("-f", "raw"));
        for (String c : commands) args.addAll(List.of("-c", c));
        args.add(server.uri("d"));
        PeerResult r = PeerCommand.of("qemu-io", args.toArray()).run().assertSuccess(server);
        assertFalse(r.output().toLowerCase().contains("error"), r.describe());
    }

    /** SIGKILL to the server process this test started: no shutdown code runs, as in a crash. */
    private static void kill9(NbdrefProcess server) {
        ProcessHandle handle = ProcessHandle.of(server.pid()).orElseThrow();
        handle.destroyForcibly();
        try {
            handle.onExit().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            fail("the server did not die after SIGKILL: " + e);
        }
    }

    private static JsonNode manage(Path socket, String request) throws IOException {
        try (ManagementClient client = ManagementClient.connect(socket)) {
            JsonNode response = JSON.readTree(client.exchange(request));
            assertTrue(response.path("ok").asBoolean(), request + " -> " + response);
            return response;
        }
    }

    /** Both peers must report exactly {@code expected} (whole granules) as dirty and everything else clean. */
    private static void assertDirty(NbdrefProcess server, List<Range> expected, String when) {
        String uri = server.uri("d");
        PeerResult nbdinfo = PeerCommand.of("nbdinfo", "--map=qemu:dirty-bitmap:b0", uri).run().assertSuccess(server);
        List<Range> fromNbdinfo = parseNbdinfo(nbdinfo.stdout(), when + "\n" + nbdinfo.describe());
        assertEquals(expected, fromNbdinfo, when + ": nbdinfo\n" + nbdinfo.describe());

        String opts = "driver=nbd,server.type=inet,server.host=127.0.0.1,server.port=" + server.port()
                + ",export=d,x-dirty-bitmap=qemu:dirty-bitmap:b0";
        PeerResult qemuImg = PeerCommand.of("qemu-img", "map", "--output=json", "--image-opts", opts).run()
                .assertSuccess(server);
        assertEquals(expected, parseQemuImg(qemuImg.stdout(), when + "\n" + qemuImg.describe()),
                when + ": qemu-img map\n" + qemuImg.describe());
    }

    private static final Pattern NBDINFO_LINE = Pattern.compile("^\\s*(\\d+)\\s+(\\d+)\\s+(\\d+)\\s*(.*)$");

    /** nbdinfo --map prints offset, length, flags (1 = dirty) and a description, covering the whole export. */
    private static List<Range> parseNbdinfo(String text, String context) {
        Ranges ranges = new Ranges();
        for (String line : text.split("\n")) {
            if (line.isBlank()) continue;
            Matcher m = NBDINFO_LINE.matcher(line);
            if (!m.matches()) fail("unexpected nbdinfo line \"" + line + "\": " + context);
            ranges.add(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), (Integer.parseInt(m.group(3)) & 1) != 0);
        }
        return ranges.dirty(context);
    }

    /** qemu-img map inverts the meaning for dirty bitmaps: dirty granules are "data": false. */
    private static List<Range> parseQemuImg(String json, String context) {
        Ranges ranges = new Ranges();
        for (JsonNode e : JSON.readTree(json)) {
            ranges.add(e.get("start").asLong(), e.get("length").asLong(), !e.get("data").asBoolean());
        }
        return ranges.dirty(context);
    }

    /** A dirty byte range. */
    record Range(long offset, long length) {
    }

    /** Collects consecutive runs, checks they tile the export, and merges the dirty ones. */
    private static final class Ranges {
        private final List<Range> dirty = new ArrayList<>();
        private long next;

        void add(long offset, long length, boolean isDirty) {
            if (offset != next) fail("runs are not consecutive at " + offset + " (expected " + next + ")");
            next = offset + length;
            if (!isDirty) return;
            int last = dirty.size() - 1;
            if (last >= 0 && dirty.get(last).offset() + dirty.get(last).length() == offset) {
                dirty.set(last, new Range(dirty.get(last).offset(), dirty.get(last).length() + length));
            } else {
                dirty.add(new Range(offset, length));
            }
        }

        List<Range> dirty(String context) {
            if (next != SIZE) fail("runs end at " + next + ", not at the export size " + SIZE + ": " + context);
            return dirty;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
