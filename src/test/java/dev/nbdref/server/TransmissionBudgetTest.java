package dev.nbdref.server;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.server.TransmissionClient.Mode;
import dev.nbdref.spec.CommandType;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The buffer budget under pressure: no interleaving of well-formed requests stops a connection for good, and a
 * connection that is cut off gives back every byte it held, whichever path its buffers were on. Each case was
 * found by review and failed before its fix (queued WRITEs deadlocking READs; a structured READ's chunk and a
 * queued WRITE's payload lost at a cut-off; a slow but steady WRITE cut off as if it were stalled).
 */
class TransmissionBudgetTest {
    private static final int MIB = 1 << 20;

    private static TestServer server(long size, int ioTimeoutSeconds) throws Exception {
        return new TestServer(List.of(new Export("d", null, new MemoryDevice(size), false)),
                c -> c.withIoTimeout(Duration.ofSeconds(ioTimeoutSeconds)));
    }

    /**
     * Four 32 MiB READs stream while four 4 MiB READs and six 16 MiB WRITEs queue behind them: the WRITEs hold
     * the connection's whole 96 MiB slice, and the READs wait for room. WRITEs run in their own pool, so they
     * finish and the READs get their room.
     */
    @Test
    void queuedWritesNeverDeadlockReadsWaitingForRoom() throws Exception {
        try (TestServer s = server(512L * MIB, 30); TransmissionClient c = TransmissionClient.open(s, "d", Mode.SIMPLE)) {
            Thread sender = daemon("sender", () -> {
                for (int i = 0; i < 4; i++) c.raw.request(read(i, (long) i * 32 * MIB, 32 * MIB));
                for (int i = 4; i < 8; i++) c.raw.request(read(i, (long) i * 4 * MIB, 4 * MIB));
                byte[] payload = new byte[16 * MIB];
                for (int i = 8; i < 14; i++) {
                    c.raw.request(new Request(0, CommandType.WRITE.value, i, 256L * MIB + (i - 8L) * 16 * MIB,
                            16 * MIB), payload);
                }
            });
            Thread.sleep(1000); // the client starts reading its replies a second late
            AtomicInteger replies = new AtomicInteger();
            Thread receiver = daemon("receiver", () -> {
                for (int n = 0; n < 14; n++) {
                    RawClient.SimpleReply r = c.raw.readSimpleReply();
                    assertEquals(0, r.error(), "reply to " + r.cookie());
                    long len = r.cookie() < 4 ? 32L * MIB : r.cookie() < 8 ? 4L * MIB : 0;
                    if (len > 0) c.raw.readExactly((int) len);
                    replies.incrementAndGet();
                }
            });
            receiver.join(20_000);
            sender.join(1000);
            assertEquals(14, replies.get(), "replies received within 20 s");
        }
    }

    @Test
    void structuredReadsCutOffGiveBackTheirBuffers() throws Exception {
        try (TestServer s = server(256L * MIB, 2); TransmissionClient c = TransmissionClient.open(s, "d", Mode.STRUCTURED)) {
            for (int i = 0; i < 128; i++) c.write((long) i * MIB, TransmissionClient.pattern(MIB, i)); // data, no holes
            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            for (int i = 0; i < 4; i++) burst.writeBytes(read(100 + i, (long) i * 32 * MIB, 32 * MIB).encodeCompact());
            c.raw.send(burst.toByteArray()); // and never read the replies
            assertCutOffAndBudgetBack(s);
        }
    }

    @Test
    void queuedWritesCutOffGiveBackTheirPayloads() throws Exception {
        try (TestServer s = server(256L * MIB, 2); TransmissionClient c = TransmissionClient.open(s, "d", Mode.SIMPLE)) {
            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            for (int i = 0; i < 8; i++) burst.writeBytes(read(i, (long) i * 4 * MIB, 4 * MIB).encodeCompact());
            byte[] payload = new byte[MIB];
            for (int i = 0; i < 16; i++) {
                burst.writeBytes(new Request(0, CommandType.WRITE.value, 1000 + i, (long) i * MIB, MIB).encodeCompact());
                burst.writeBytes(payload);
            }
            c.raw.send(burst.toByteArray()); // and never read the replies
            assertCutOffAndBudgetBack(s);
        }
    }

    /** 1 MiB at 256 KiB/s under a 2 s bound: every 256 KiB received is progress, so the request completes. */
    @Test
    void aSlowButSteadyWriteIsNotCutOff() throws Exception {
        try (TestServer s = server(8L * MIB, 2); TransmissionClient c = TransmissionClient.open(s, "d", Mode.SIMPLE)) {
            c.raw.send(new Request(0, CommandType.WRITE.value, 1, 0, MIB).encodeCompact());
            byte[] piece = TransmissionClient.pattern(64 * 1024, 9);
            for (int i = 0; i < 16; i++) {
                c.raw.send(piece);
                Thread.sleep(250);
            }
            RawClient.SimpleReply r = c.raw.readSimpleReply();
            assertEquals(0, r.error());
            assertTrue(s.reports.isEmpty(), "the connection was not ended: " + s.reports);
        }
    }

    private static Request read(long cookie, long offset, int length) {
        return new Request(0, CommandType.READ.value, cookie, offset, length);
    }

    private static void assertCutOffAndBudgetBack(TestServer s) throws InterruptedException {
        long end = System.nanoTime() + 15_000_000_000L;
        while (s.reports.isEmpty() && System.nanoTime() < end) Thread.sleep(50);
        assertEquals(1, s.reports.size(), "the connection was cut off");
        assertTrue(s.reports.get(0).endReason().contains("client read no reply data"), s.reports.get(0).endReason());
        long wait = System.nanoTime() + 5_000_000_000L;
        while (s.server.idleBufferBytes() != s.server.bufferBudget() && System.nanoTime() < wait) Thread.sleep(20);
        assertEquals(s.server.bufferBudget(), s.server.idleBufferBytes(), "server budget back in full");
    }

    private interface Body {
        void run() throws Exception;
    }

    private static Thread daemon(String name, Body body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Exception e) {
                throw new IllegalStateException(name + ": " + e, e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
