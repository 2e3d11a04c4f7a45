package dev.nbdref.bitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** {@code nbdref bitmap ...} on images at rest, and with --socket against a running management server. */
class BitmapCommandTest {
    private static final long SIZE = 4L << 20;

    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();

    /** One run of the CLI: exit status and both streams. */
    record Run(int status, String out, String err) {
        Run expect(int wanted) {
            assertEquals(wanted, status, "exit status; stdout:\n" + out + "\nstderr:\n" + err);
            return this;
        }
    }

    @Test
    void everyVerbAtRest() throws IOException {
        Path image = image();
        String img = image.toString();
        assertTrue(nbdref("bitmap", "list", img).expect(0).out().contains("no bitmaps"));
        nbdref("bitmap", "add", img, "b0").expect(0);
        nbdref("bitmap", "add", img, "fine", "--granularity", "4K", "--disabled").expect(0);
        nbdref("bitmap", "add", img, "b1", "--granularity", "65536").expect(0);
        Run list = nbdref("bitmap", "list", img).expect(0);
        assertEquals(List.of("NAME  GRANULARITY  STATE     DIRTY BYTES", "b0          65536  enabled   0",
                "b1          65536  enabled   0", "fine         4096  disabled  0"), List.of(list.out().split("\n")));

        // mark something the way a server would, then manage it at rest
        try (BitmapStore store = BitmapStore.openAtRest(image, false)) {
            store.bitmaps().add("scratch", 65536, true);
            ((InMemoryBitmap) store.bitmaps().find("b1").orElseThrow()).setRange(0, 100);
        }
        nbdref("bitmap", "merge", img, "b1", "b0").expect(0);
        nbdref("bitmap", "enable", img, "fine").expect(0);
        nbdref("bitmap", "disable", img, "b1").expect(0);
        nbdref("bitmap", "clear", img, "b1").expect(0);
        nbdref("bitmap", "remove", img, "scratch").expect(0);
        JsonNode listed = json.readTree(nbdref("bitmap", "list", img, "--json").expect(0).out());
        assertEquals(SIZE, listed.get("size").asLong());
        assertEquals(json.readTree("[{\"name\":\"b0\",\"granularity\":65536,\"enabled\":true,\"dirtyBytes\":65536},"
                + "{\"name\":\"b1\",\"granularity\":65536,\"enabled\":false,\"dirtyBytes\":0},"
                + "{\"name\":\"fine\",\"granularity\":4096,\"enabled\":true,\"dirtyBytes\":0}]"), listed.get("bitmaps"));
    }

    @Test
    void refusalsExitOneWithTheReason() throws IOException {
        String img = image().toString();
        nbdref("bitmap", "add", img, "b0").expect(0);
        assertTrue(nbdref("bitmap", "add", img, "b0").expect(1).err().contains("exists"));
        assertTrue(nbdref("bitmap", "clear", img, "zz").expect(1).err().contains("no bitmap named zz"));
        assertTrue(nbdref("bitmap", "add", img, "x", "--granularity", "1000").expect(1).err().contains("power of two"));
        nbdref("bitmap", "add", img, "f", "--granularity", "512").expect(0);
        assertTrue(nbdref("bitmap", "merge", img, "f", "b0").expect(1).err().contains("same"));
        assertTrue(nbdref("bitmap", "list", dir.resolve("missing.raw").toString()).expect(1).err().contains("missing.raw"));
        nbdref("bitmap", "add", img).expect(2);
        nbdref("bitmap").expect(2);
    }

    @Test
    void aStoreLeftInUseNeedsForce() throws IOException {
        Path image = image();
        Path crashed = Files.createDirectory(dir.resolve("crashed"));
        Path victim = crashed.resolve("disk.raw");
        try (BitmapStore store = BitmapStore.openForServer(image, SIZE)) {
            store.bitmaps().add("b0", 65536, true);
            assertTrue(nbdref("bitmap", "list", image.toString(), "--force").expect(1).err().contains("running"),
                    "a running server is never overridden");
            Files.copy(image, victim);
            Files.copy(BitmapStore.fileFor(image), BitmapStore.fileFor(victim));
        }
        Run refused = nbdref("bitmap", "clear", victim.toString(), "b0").expect(1);
        assertTrue(refused.err().contains("--force"), refused.err());
        Run forced = nbdref("bitmap", "list", victim.toString(), "--force").expect(0);
        assertTrue(forced.err().contains("entirely dirty"), forced.err());
        assertTrue(forced.out().contains(Long.toString(SIZE)), forced.out());
        nbdref("bitmap", "clear", victim.toString(), "b0", "--force").expect(0);
        assertTrue(nbdref("bitmap", "list", victim.toString()).expect(0).out().contains("enabled   0"));
    }

    @Test
    void theSameVerbsThroughARunningServersSocket() throws IOException {
        BitmapSet set = new BitmapSet(SIZE);
        Path socket = dir.resolve("m.sock");
        try (ManagementServer server = new ManagementServer(socket, Map.of("d", set))) {
            server.start();
            String s = socket.toString();
            assertTrue(nbdref("bitmap", "--socket", s, "add", "d", "b0", "--granularity", "64K").expect(0).out()
                    .contains("b0: granularity 65536, enabled, 0 dirty bytes"));
            set.markWrite(0, 1);
            Run list = nbdref("bitmap", "--socket", s, "list").expect(0);
            assertTrue(list.out().contains("export d (4194304 bytes, in memory):"), list.out());
            assertTrue(list.out().contains("b0          65536  enabled   65536"), list.out());
            JsonNode raw = json.readTree(nbdref("bitmap", "--socket", s, "list", "d", "--json").expect(0).out());
            assertTrue(raw.get("ok").asBoolean());
            nbdref("bitmap", "--socket", s, "clear", "d", "b0").expect(0);
            nbdref("bitmap", "--socket", s, "add", "d", "b1", "--disabled").expect(0);
            nbdref("bitmap", "--socket", s, "merge", "d", "b0", "b1").expect(0);
            nbdref("bitmap", "--socket", s, "enable", "d", "b1").expect(0);
            nbdref("bitmap", "--socket", s, "disable", "d", "b0").expect(0);
            nbdref("bitmap", "--socket", s, "remove", "d", "b1").expect(0);
            assertEquals(List.of("b0"), set.names());
            Run missing = nbdref("bitmap", "--socket", s, "clear", "nope", "b0").expect(1);
            assertTrue(missing.err().contains("no-such-export"), missing.err());
            nbdref("bitmap", "--socket", s, "clear", "d", "b0", "--force").expect(2);
        }
        Run gone = nbdref("bitmap", "--socket", socket.toString(), "list").expect(1);
        assertTrue(gone.err().contains("cannot connect"), gone.err());
        assertFalse(gone.err().contains("Exception"), gone.err());
    }

    private Path image() throws IOException {
        Path image = dir.resolve("disk.raw");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(SIZE);
        }
        return image;
    }

    private static Run nbdref(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int status = cli.execute(args);
        return new Run(status, out.toString(), err.toString());
    }
}
