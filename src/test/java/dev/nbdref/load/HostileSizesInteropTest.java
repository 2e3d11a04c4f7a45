package dev.nbdref.load;

import dev.nbdref.model.NbdClient;
import dev.nbdref.model.NbdClient.Descriptor;
import dev.nbdref.model.NbdClient.Framing;
import dev.nbdref.model.NbdClient.Reply;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.Limits;
import dev.nbdref.spec.Magic;
import dev.nbdref.spec.MetaContext;
import dev.nbdref.spec.ReplyType;
import dev.nbdref.testing.Verifies;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hostile sizes against the real jar run with a small heap ({@code -Xmx96m}; system property
 * {@code nbdref.hostile.heap}), as docs/ARCHITECTURE.md ("Bounded resources") promises it survives them. (At 48-64 MiB
 * the budget still holds, but G1 sometimes finds no 33 contiguous free regions for a 32 MiB payload buffer.)
 * <ol>
 *   <li>option floods: connections sending options of the largest length the server parses (1 MiB), one it skips
 *       (32 MiB, ERR_TOO_BIG) and one past that (hard disconnect, C38), and ones sending options until the
 *       4096-option limit cuts them off (C39);</li>
 *   <li>maximal request lengths: WRITE and READ of the maximum payload (32 MiB) under simple, structured and
 *       extended framing at once, four such WRITEs pipelined on one connection, and over-size requests refused as
 *       the spec says (C28) without the server allocating what they claim;</li>
 *   <li>BLOCK_STATUS over a file export of 2^20 extents (alternating 4 KiB data and holes), walked whole with
 *       compact and extended headers and asked 64 times at once on one connection: every reply spec-conform (S64,
 *       S66, S84: at most {@code BlockStatusSource.MAX_DESCRIPTORS} = 65536 descriptors each) and right.</li>
 * </ol>
 * Throughout, a well-behaved client writes and reads back 64 KiB at a time on its own connection; after each part
 * it must have gone on working, a new connection must be served, and the server's output must show no
 * OutOfMemoryError. The heap the server used is read from its GC log and printed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileSizesInteropTest {
    private static final String HEAP = System.getProperty("nbdref.hostile.heap", "96m");
    private static final int EXTENTS = 1 << 20;
    private static final int MAX_PAYLOAD = Limits.DEFAULT_MAX_PAYLOAD;
    private static final int MIB = 1 << 20;
    /** The writable file export: room for every maximal write below, and the bystander's corner at 500 MiB. */
    private static final long WRITABLE_SIZE = 512L * MIB;
    private static final int EINVAL = 22;
    private static final long IHAVEOPT = 0x49484156454F5054L;

    private Path scratch;
    private Path gcLog;
    private ServerProcess server;
    private Bystander bystander;

    @BeforeAll
    void startServer() throws Exception {
        scratch = AlternatingExtentsFile.scratchDirectory();
        long t0 = System.nanoTime();
        Path extents = AlternatingExtentsFile.create(scratch, EXTENTS);
        System.out.printf("hostile: %s (%d extents) made in %d ms%n", extents, EXTENTS, (System.nanoTime() - t0) / 1_000_000);
        Path writable = scratch.resolve("writable.raw");
        try (RandomAccessFile f = new RandomAccessFile(writable.toFile(), "rw")) {
            f.setLength(WRITABLE_SIZE);
        }
        gcLog = scratch.resolve("gc.log");
        server = ServerProcess.start(ServerProcess.jar(), List.of("-Xmx" + HEAP, "-Xlog:gc:file=" + gcLog), 2,
                "--export", "w=file:" + writable, "--export", "f=file:" + extents + ",ro");
        System.out.println("hostile: nbdref pid " + server.pid() + " with -Xmx" + HEAP + " on port " + server.port());
        bystander = Bystander.start(server.port());
    }

    @AfterAll
    void stopServer() throws Exception {
        try {
            if (bystander != null) bystander.finish();
            if (server != null) {
                long peakRss = server.statusKib("VmHWM");
                int exit = server.stop();
                GcLog heap = GcLog.read(gcLog);
                System.out.println("hostile: server with -Xmx" + HEAP + ": " + heap + "; peak RSS " + (peakRss >> 10)
                        + " MiB; the well-behaved client did " + bystander.operations() + " verified round trips");
                assertFalse(server.log().contains("OutOfMemoryError"), "the server ran out of heap:\n" + server.log());
                assertEquals(0, exit, "the server's exit status on SIGTERM:\n" + server.log());
            }
        } finally {
            if (scratch != null) {
                try (var files = Files.list(scratch)) {
                    for (Path p : files.toList()) Files.deleteIfExists(p);
                }
                Files.deleteIfExists(scratch);
            }
        }
    }

    // ------------------------------------------------------------------------------------------- option floods

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    @Verifies({"C38", "C39"})
    void optionFloodsOfMaximalLengths() throws Exception {
        long before = bystander.operations();
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> floods = new ArrayList<>();
            for (int i = 0; i < 4; i++) floods.add(pool.submit(() -> { maximalOptions(64); return null; }));
            LoadRun.Hostile counted = LoadRun.Hostile.flooder("127.0.0.1", server.port());
            LoadRun.Hostile counted2 = LoadRun.Hostile.flooder("127.0.0.1", server.port());
            for (Future<?> f : floods) f.get(4, TimeUnit.MINUTES);
            for (LoadRun.Hostile h : List.of(counted, counted2)) {
                h.await(120_000);
                h.close();
                assertEquals("", h.problem(), "the 4096-option flooder");
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("hostile: 4 connections x (64 options of 1 MiB, one of 32 MiB, one of 32 MiB + 1) and 2 x 4097"
                + " options handled in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertHealthy(before);
    }

    /**
     * {@code count} options of exactly the most the server parses (unknown, so ERR_UNSUP), one of 32 MiB (skipped:
     * ERR_TOO_BIG), then a header announcing 32 MiB + 1 byte, which must end the connection (C38).
     */
    private void maximalOptions(int count) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(60_000);
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 1 << 16);
            in.readFully(new byte[18]);
            out.write(ByteBuffer.allocate(4).putInt(3).array()); // FIXED_NEWSTYLE | NO_ZEROES
            byte[] parsedMax = new byte[1 << 20];
            for (int i = 0; i < count; i++) {
                out.write(optionHeader(0x7654321, parsedMax.length));
                out.write(parsedMax);
                out.flush();
                assertEquals(0x80000001, optionReplyType(in), "a 1 MiB unknown option: ERR_UNSUP");
            }
            out.write(optionHeader(0x7654321, 32 * MIB));
            for (int i = 0; i < 32; i++) out.write(parsedMax);
            out.flush();
            assertEquals(0x80000009, optionReplyType(in), "a 32 MiB option: skipped, ERR_TOO_BIG");
            out.write(optionHeader(0x7654321, 32 * MIB + 1));
            out.flush();
            assertClosed(s, in, "an option of 32 MiB + 1 byte");
        }
    }

    private static byte[] optionHeader(int option, int length) {
        return ByteBuffer.allocate(16).putLong(IHAVEOPT).putInt(option).putInt(length).array();
    }

    private static int optionReplyType(DataInputStream in) throws IOException {
        in.readLong();
        in.readInt();
        int type = in.readInt();
        in.readFully(new byte[in.readInt()]);
        return type;
    }

    // ------------------------------------------------------------------------------------ maximal request lengths

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    @Verifies({"C28", "S45"})
    void maximalRequestLengthsAreServedAndOversizedOnesRefused() throws Exception {
        long before = bystander.operations();
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<?>> writers = new ArrayList<>();
            Framing[] framings = Framing.values();
            for (int i = 0; i < framings.length; i++) {
                Framing framing = framings[i];
                long offset = (long) i * MAX_PAYLOAD;
                writers.add(pool.submit(() -> { maximalRoundTrips(framing, offset); return null; }));
            }
            for (Future<?> f : writers) f.get(4, TimeUnit.MINUTES);
        } finally {
            pool.shutdownNow();
        }
        pipelinedMaximalWrites(4, 4L * MAX_PAYLOAD);
        try (NbdClient c = connect("w", Framing.SIMPLE, List.of())) {
            assertEquals(EINVAL, c.read(0, MAX_PAYLOAD + 1, 0).error(), "C28: a simple READ over the maximum payload");
            assertEquals(EINVAL, c.write(0, new byte[MAX_PAYLOAD + 4096], 0).error(),
                    "C28: a compact WRITE over the maximum payload is skipped and refused");
            assertTrue(c.read(0, 4096, 0).ok(), "the stream is still in step after the skipped payload");
            c.disconnect();
        }
        try (NbdClient c = connect("w", Framing.STRUCTURED, List.of())) {
            Reply r = c.read(320L * MIB, 2 * MAX_PAYLOAD, 0); // structured: may exceed the maximum, sent in chunks
            assertTrue(r.ok(), "a structured READ of twice the maximum payload");
            assertArrayEquals(new byte[2 * MAX_PAYLOAD], r.data());
            c.disconnect();
        }
        // Lengths no server should take on: the connection ends, and nothing of that size is allocated (it could not
        // be, in this heap).
        assertDisconnectedBy(Framing.SIMPLE, "a compact WRITE of 4 GiB - 4 KiB",
                new Request(0, CommandType.WRITE.value, 1, 0, 0xFFFF_F000L).encodeCompact());
        assertDisconnectedBy(Framing.EXTENDED, "an extended WRITE of 1 TiB",
                new Request(CommandFlag.PAYLOAD_LEN.bit, CommandType.WRITE.value, 1, 0, 1L << 40).encodeExtended());
        assertDisconnectedBy(Framing.EXTENDED, "an extended WRITE of the maximum payload + 1",
                new Request(CommandFlag.PAYLOAD_LEN.bit, CommandType.WRITE.value, 1, 0, MAX_PAYLOAD + 1L).encodeExtended());
        System.out.printf("hostile: maximal and over-size requests handled in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertHealthy(before);
    }

    /** Twice: WRITE the maximum payload of random bytes at {@code offset}, READ it back, compare. */
    private void maximalRoundTrips(Framing framing, long offset) throws IOException {
        try (NbdClient c = connect("w", framing, List.of())) {
            Random rng = new Random(offset + framing.ordinal());
            for (int round = 0; round < 2; round++) {
                byte[] data = new byte[MAX_PAYLOAD];
                rng.nextBytes(data);
                assertTrue(c.write(offset, data, 0).ok(), framing + " WRITE of the maximum payload");
                Reply r = c.read(offset, MAX_PAYLOAD, 0);
                assertTrue(r.ok(), framing + " READ of the maximum payload");
                assertArrayEquals(data, r.data(), framing + " READ back");
            }
            c.disconnect();
        }
    }

    /** {@code n} WRITEs of the maximum payload sent back to back (simple replies), then their replies. */
    private void pipelinedMaximalWrites(int n, long offset) throws IOException {
        try (NbdClient c = connect("w", Framing.SIMPLE, List.of())) {
            Socket s = c.socket();
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 1 << 16);
            byte[] data = new byte[MAX_PAYLOAD];
            new Random(n).nextBytes(data);
            for (int i = 0; i < n; i++) {
                out.write(new Request(0, CommandType.WRITE.value, i, offset + (long) i * MAX_PAYLOAD, MAX_PAYLOAD)
                        .encodeCompact());
                out.write(data);
            }
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            for (int i = 0; i < n; i++) {
                assertEquals(Magic.SIMPLE_REPLY, in.readInt());
                assertEquals(0, in.readInt(), "error of a pipelined maximal WRITE");
                in.readLong();
            }
            Reply r = c.read(offset + (long) (n - 1) * MAX_PAYLOAD, MAX_PAYLOAD, 0);
            assertArrayEquals(data, r.data(), "the last pipelined WRITE, read back");
            c.disconnect();
        }
    }

    /** Negotiates {@code framing}, sends {@code request} (a header only) and expects the server to hang up. */
    private void assertDisconnectedBy(Framing framing, String what, byte[] request) throws IOException {
        try (NbdClient c = connect("w", framing, List.of())) {
            Socket s = c.socket();
            s.getOutputStream().write(request);
            s.getOutputStream().flush();
            assertClosed(s, new DataInputStream(s.getInputStream()), what);
        }
    }

    // ------------------------------------------------------------------------------- 2^20-extent block status

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    @Verifies({"S64", "S66", "S84"})
    void blockStatusOverAMillionExtents() throws Exception {
        long before = bystander.operations();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<String> compact = pool.submit(() -> walk(Framing.STRUCTURED));
            Future<String> extended = pool.submit(() -> walk(Framing.EXTENDED));
            System.out.println("hostile: " + compact.get(4, TimeUnit.MINUTES));
            System.out.println("hostile: " + extended.get(4, TimeUnit.MINUTES));
        } finally {
            pool.shutdownNow();
        }
        long t0 = System.nanoTime();
        pipelinedWholeExportStatus(64);
        System.out.printf("hostile: 64 whole-export BLOCK_STATUS requests pipelined on one connection answered in %d ms%n",
                (System.nanoTime() - t0) / 1_000_000);
        assertHealthy(before);
    }

    /**
     * Walks base:allocation over the whole extents export, each request from where the last answer ended (compact
     * lengths stop short of 4 GiB), checking every descriptor against the file's pattern.
     */
    private String walk(Framing framing) throws IOException {
        long t0 = System.nanoTime();
        try (NbdClient c = connect("f", framing, List.of(MetaContext.BASE_ALLOCATION))) {
            long size = c.size();
            assertEquals((long) EXTENTS * AlternatingExtentsFile.RUN, size);
            int id = c.contexts().get(MetaContext.BASE_ALLOCATION);
            long pos = 0;
            long extents = 0;
            int requests = 0;
            int most = 0;
            while (pos < size) {
                long length = framing == Framing.EXTENDED ? size - pos : Math.min(size - pos, 0xFFFF_F000L);
                Reply r = c.blockStatus(pos, length, 0);
                assertTrue(r.ok(), "BLOCK_STATUS " + pos + "+" + length + ": error " + r.error());
                requests++;
                List<Descriptor> ds = r.status().get(id);
                assertTrue(ds.size() <= 1 << 20, "S84: " + ds.size() + " descriptors in one chunk");
                most = Math.max(most, ds.size());
                long covered = 0;
                for (int i = 0; i < ds.size(); i++) {
                    Descriptor d = ds.get(i);
                    if (i < ds.size() - 1) assertTrue(covered + d.length() < length, "S66: descriptor " + i + " ends past the request");
                    assertEquals(AlternatingExtentsFile.RUN, d.length(), "extent at " + (pos + covered));
                    assertEquals(AlternatingExtentsFile.expectedFlags(pos + covered), d.flags(), "flags at " + (pos + covered));
                    covered += d.length();
                }
                pos += covered;
                extents += ds.size();
            }
            assertEquals(EXTENTS, extents, "extents reported over the whole export");
            c.disconnect();
            return String.format("%s: %d extents walked in %d requests (at most %d descriptors per reply) in %d ms",
                    framing, extents, requests, most, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    /** {@code n} compact BLOCK_STATUS requests for (nearly) the whole export sent at once, then all their replies. */
    private void pipelinedWholeExportStatus(int n) throws IOException {
        try (NbdClient c = connect("f", Framing.STRUCTURED, List.of(MetaContext.BASE_ALLOCATION))) {
            Socket s = c.socket();
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 1 << 16);
            for (int i = 0; i < n; i++) {
                out.write(new Request(0, CommandType.BLOCK_STATUS.value, i, 0, 0xFFFF_F000L).encodeCompact());
            }
            out.flush();
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 20));
            for (int i = 0; i < n; i++) {
                assertEquals(Magic.STRUCTURED_REPLY, in.readInt());
                int flags = in.readUnsignedShort();
                assertEquals(ReplyType.BLOCK_STATUS.value, in.readUnsignedShort(), "chunk type");
                in.readLong();
                int length = in.readInt();
                assertEquals(ReplyType.FLAG_DONE, flags & ReplyType.FLAG_DONE, "one context: one chunk, with DONE");
                assertEquals(4 + 8 * 65536, length, "a chunk of the full 65536 descriptors");
                in.readFully(new byte[length]);
            }
            c.disconnect();
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private NbdClient connect(String export, Framing framing, List<String> contexts) throws IOException {
        return NbdClient.connect("127.0.0.1", server.port(), export, framing, contexts, 120_000);
    }

    /** The server is alive, said nothing of running out of heap, served the bystander meanwhile and serves anew. */
    private void assertHealthy(long bystanderBefore) throws Exception {
        assertTrue(server.alive(), "the server died:\n" + server.log());
        assertFalse(server.log().contains("OutOfMemoryError"), "the server ran out of heap:\n" + server.log());
        bystander.check();
        assertTrue(bystander.operations() > bystanderBefore, "the well-behaved client made no progress meanwhile");
        try (NbdClient c = connect("w", Framing.STRUCTURED, List.of())) {
            assertTrue(c.read(0, 4096, 0).ok(), "a new connection is served");
            c.disconnect();
        }
    }

    /** The server closes within 30 s without sending anything more. */
    private static void assertClosed(Socket s, DataInputStream in, String after) throws IOException {
        s.setSoTimeout(30_000);
        try {
            int b = in.read();
            if (b >= 0) fail("after " + after + " the server sent byte 0x" + Integer.toHexString(b) + " instead of closing");
        } catch (SocketTimeoutException e) {
            fail("after " + after + " the server kept the connection open");
        } catch (IOException e) {
            // closed (a reset counts)
        }
    }

    /** A well-behaved client on the writable export: WRITE then READ back 64 KiB at 500 MiB, checked, until finished. */
    private static final class Bystander {
        private final NbdClient client;
        private final Thread thread;
        private final AtomicLong operations = new AtomicLong();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile boolean stop;

        private Bystander(NbdClient client) {
            this.client = client;
            this.thread = new Thread(this::loop, "bystander");
            thread.setDaemon(true);
        }

        static Bystander start(int port) throws IOException {
            Bystander b = new Bystander(NbdClient.connect("127.0.0.1", port, "w", Framing.STRUCTURED, List.of(), 120_000));
            b.thread.start();
            return b;
        }

        private void loop() {
            Random rng = new Random(500);
            try {
                while (!stop) {
                    byte[] data = new byte[64 * 1024];
                    rng.nextBytes(data);
                    Reply w = client.write(500L * MIB, data, 0);
                    if (!w.ok()) throw new AssertionError("bystander WRITE: error " + w.error());
                    Reply r = client.read(500L * MIB, data.length, 0);
                    if (!r.ok()) throw new AssertionError("bystander READ: error " + r.error());
                    assertArrayEquals(data, r.data(), "bystander READ back");
                    operations.incrementAndGet();
                    Thread.sleep(20);
                }
                client.disconnect();
            } catch (Throwable e) {
                failure.set(e);
            }
        }

        long operations() { return operations.get(); }

        void check() { assertNull(failure.get(), () -> "the well-behaved client failed: " + failure.get()); }

        void finish() throws Exception {
            stop = true;
            thread.join(30_000);
            client.close();
            check();
        }
    }
}
