package dev.nbdref.server;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.conformance.ConnectionReport;
import dev.nbdref.server.TransmissionClient.Mode;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.testing.Verifies;
import dev.nbdref.tls.TlsMode;
import dev.nbdref.tls.TlsSettings;
import dev.nbdref.tls.TlsUpgrader;
import dev.nbdref.wire.InfoRequest;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static dev.nbdref.server.TransmissionClient.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The transmission phase's time limits (ServerConfig.ioTimeout, enforced by IoWatchdog; docs/ARCHITECTURE.md,
 * "Bounded resources") on an in-process server whose bound is 2 s: a client trickling a request and one that never
 * reads its replies are cut off soon after the bound, plain and over TLS, while another connection is served
 * throughout; an idle connection is never cut off. (The spec has no such timeout; S79 is the nearest rule: a
 * client that holds server resources without end is the denial of service the spec lets a server end.)
 */
class TransmissionTimeoutTest {
    private static final Duration BOUND = Duration.ofSeconds(2);
    /** How long past the bound a cut-off may come (checks run every bound/4, and this machine is busy). */
    private static final long GRACE_MILLIS = 3000;
    private static final int MIB = 1 << 20;
    private static final String TRICKLE_REASON = "server hard disconnect: request not complete within 2 s";
    private static final String STALL_REASON = "server hard disconnect: client read no reply data for 2 s";

    private static TestServer server() throws IOException {
        return new TestServer(List.of(new Export("d", null, new MemoryDevice(64L * MIB), false)),
                c -> c.withIoTimeout(BOUND));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    @Verifies({"S79"})
    void aClientTricklingARequestIsCutOffWhileAnotherIsServed() throws Exception {
        try (TestServer server = server();
             TransmissionClient slow = TransmissionClient.open(server, "d", Mode.SIMPLE); // c1
             Bystander other = Bystander.start(server)) {                                 // c2
            byte[] header = new Request(0, CommandType.READ.value, 7, 0, 4096).encodeCompact();
            long started = System.nanoTime();
            ConnectionReport end = trickle(server, header, b -> slow.raw.send(new byte[] {b}));
            long millis = (System.nanoTime() - started) / 1_000_000;
            System.out.println("request trickled at 1 byte/s cut off after " + millis + " ms; the other client did "
                    + other.operations() + " verified WRITE+READ pairs meanwhile");
            assertNotNull(end, "a client sending a request header at one byte a second was still connected after "
                    + millis + " ms; the bound is " + BOUND.toMillis() + " ms");
            assertEquals(TRICKLE_REASON, end.endReason());
            assertTrue(millis >= BOUND.toMillis() - 100, "cut off after " + millis + " ms, before the bound");
            assertTrue(millis <= BOUND.toMillis() + GRACE_MILLIS, "cut off only after " + millis + " ms");
            slow.raw.assertClosedByServer();
            other.finish(); // its last verified round trip comes after the cut-off
            assertTrue(other.operations() >= 3, "the other client completed " + other.operations() + " round trips");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    @Verifies({"S79"})
    void aClientThatNeverReadsItsRepliesIsCutOffAndItsBuffersReturn() throws Exception {
        try (TestServer server = server();
             TransmissionClient stalled = TransmissionClient.open(server, "d", Mode.SIMPLE); // c1
             Bystander other = Bystander.start(server)) {                                    // c2
            stalled.raw.send(readBurst()); // 64 MiB of replies, and it reads none of them
            long started = System.nanoTime();
            ConnectionReport end = awaitEnd(server, "c1", BOUND.toMillis() + GRACE_MILLIS);
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertNotNull(end, "a client that reads none of its replies was still connected after " + millis + " ms");
            assertEquals(STALL_REASON, end.endReason());
            assertTrue(millis >= BOUND.toMillis() - 100, "cut off after " + millis + " ms, before the bound");
            other.finish();
            long idle = awaitAllBuffersIdle(server.server);
            System.out.println("client reading no replies cut off after " + millis + " ms; the other client did "
                    + other.operations() + " verified WRITE+READ pairs meanwhile; afterwards " + (idle >> 20)
                    + " MiB of the " + (server.server.bufferBudget() >> 20) + " MiB buffer budget idle");
            assertEquals(server.server.bufferBudget(), idle, "buffers still held after the stalled client was cut off");
            assertTrue(other.operations() >= 3, "the other client completed " + other.operations() + " round trips");
            try (TransmissionClient next = TransmissionClient.open(server, "d", Mode.STRUCTURED)) {
                next.write(MIB, pattern(MIB, 9));
                assertArrayEquals(pattern(MIB, 9), next.read(MIB, MIB));
                next.disconnect();
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anIdleConnectionIsNeverCutOff() throws Exception {
        try (TestServer server = server(); TransmissionClient idle = TransmissionClient.open(server, "d", Mode.STRUCTURED)) {
            idle.write(0, pattern(4096, 3));
            Thread.sleep(BOUND.toMillis() * 2 + 1000); // twice the bound without a byte either way
            assertTrue(server.reports.isEmpty(), "an idle connection was ended: " + server.reports);
            assertArrayEquals(pattern(4096, 3), idle.read(0, 4096));
            idle.write(4096, pattern(4096, 4));
            assertArrayEquals(pattern(4096, 4), idle.read(4096, 4096));
            idle.disconnect();
            assertEquals("NBD_CMD_DISC", awaitEnd(server, "c1", 5000).endReason());
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void overTlsBothLimitsCutClientsOff(@TempDir Path dir) throws Exception {
        Path pki = NegotiationTlsSupport.pki(dir);
        SSLContext tls = NegotiationTlsSupport.clientContext(pki);
        TlsUpgrader upgrader = new TlsSettings(pki, null, false, List.of()).createUpgrader();
        try (TestServer server = new TestServer(List.of(new Export("d", null, new MemoryDevice(64L * MIB), false)),
                c -> c.withTls(TlsMode.ON, upgrader).withIoTimeout(BOUND));
             Bystander other = Bystander.start(server)) {                      // c1, plain text
            try (NegotiationTlsSupport.TlsOptionClient slow = tlsClient(server, tls)) { // c2
                byte[] header = new Request(0, CommandType.READ.value, 7, 0, 4096).encodeCompact();
                long started = System.nanoTime();
                ConnectionReport end = trickle(server, header, b -> slow.send(new byte[] {b})); // one record a byte
                long millis = (System.nanoTime() - started) / 1_000_000;
                assertNotNull(end, "a TLS client trickling a request was still connected after " + millis + " ms");
                assertEquals(TRICKLE_REASON, end.endReason());
                System.out.println("TLS: request trickled at 1 byte/s cut off after " + millis + " ms");
            }
            try (NegotiationTlsSupport.TlsOptionClient stalled = tlsClient(server, tls)) { // c3
                stalled.send(readBurst());
                long started = System.nanoTime();
                ConnectionReport end = awaitEnd(server, "c3", BOUND.toMillis() + GRACE_MILLIS);
                long millis = (System.nanoTime() - started) / 1_000_000;
                assertNotNull(end, "a TLS client reading no replies was still connected after " + millis + " ms");
                assertEquals(STALL_REASON, end.endReason());
                System.out.println("TLS: client reading no replies cut off after " + millis + " ms");
            }
            other.finish();
            assertEquals(server.server.bufferBudget(), awaitAllBuffersIdle(server.server));
        }
    }

    /** A TLS client in transmission on export "d" (simple replies). */
    private static NegotiationTlsSupport.TlsOptionClient tlsClient(TestServer server, SSLContext tls) throws Exception {
        NegotiationTlsSupport.TlsOptionClient c = new NegotiationTlsSupport.TlsOptionClient(server.port());
        c.handshake();
        c.startTls(tls);
        List<dev.nbdref.wire.OptionReply> r = c.option(OptionType.GO, new InfoRequest("d", List.of()).encode());
        assertEquals(dev.nbdref.spec.OptionReplyType.ACK, r.get(r.size() - 1).replyType(), "GO: " + r);
        return c;
    }

    /** 64 simple READs of 1 MiB: the in-flight limit, and far more reply data than socket buffers hold. */
    private static byte[] readBurst() {
        ByteArrayOutputStream burst = new ByteArrayOutputStream();
        for (int i = 0; i < TransmissionLoop.MAX_IN_FLIGHT; i++) {
            burst.writeBytes(new Request(0, CommandType.READ.value, i, (long) (i % 60) * MIB, MIB).encodeCompact());
        }
        return burst.toByteArray();
    }

    interface ByteSink {
        void send(byte b) throws IOException;
    }

    /**
     * Sends {@code bytes} one a second until the server ends the connection; its report, or null when it was still
     * open past the bound and the grace period.
     */
    private static ConnectionReport trickle(TestServer server, byte[] bytes, ByteSink sink) throws Exception {
        int before = server.reports.size();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BOUND.toMillis() + GRACE_MILLIS);
        for (int i = 0; i < bytes.length && System.nanoTime() < end; i++) {
            try {
                sink.send(bytes[i]);
            } catch (IOException e) {
                break; // cut off: the report follows
            }
            for (int waited = 0; waited < 1000 && server.reports.size() == before; waited += 20) Thread.sleep(20);
            if (server.reports.size() > before) break;
        }
        long wait = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (server.reports.size() == before && System.nanoTime() < wait) Thread.sleep(20);
        return server.reports.size() > before ? server.reports.get(before) : null;
    }

    /** The report of connection {@code id} once it has ended, or null after {@code millis}. */
    private static ConnectionReport awaitEnd(TestServer server, String id, long millis) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < end) {
            for (ConnectionReport r : server.reports) if (r.connectionId().equals(id)) return r;
            Thread.sleep(10);
        }
        return null;
    }

    /** Buffer bytes idle once the last releases (which follow the replies) have happened. */
    private static long awaitAllBuffersIdle(NbdServer server) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (server.idleBufferBytes() != server.bufferBudget() && System.nanoTime() < end) Thread.sleep(10);
        return server.idleBufferBytes();
    }

    /** A well-behaved client on its own thread: WRITE then READ back 64 KiB, checked, until finished. */
    private static final class Bystander implements AutoCloseable {
        private final TransmissionClient client;
        private final Thread thread;
        private final AtomicLong operations = new AtomicLong();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile boolean stop;

        private Bystander(TransmissionClient client) {
            this.client = client;
            this.thread = new Thread(this::loop, "bystander");
        }

        static Bystander start(TestServer server) throws Exception {
            Bystander b = new Bystander(TransmissionClient.open(server, "d", Mode.STRUCTURED));
            b.thread.start();
            return b;
        }

        private void loop() {
            try {
                for (int i = 0; !stop; i++) {
                    byte[] data = pattern(64 * 1024, i);
                    client.write(62L * MIB, data);
                    assertArrayEquals(data, client.read(62L * MIB, data.length));
                    operations.incrementAndGet();
                    Thread.sleep(50);
                }
                client.disconnect();
            } catch (Throwable e) {
                failure.set(e);
            }
        }

        long operations() { return operations.get(); }

        /** Stops after the round trip in progress and fails the test if any went wrong. */
        void finish() throws Exception {
            stop = true;
            thread.join(15_000);
            assertNull(failure.get(), () -> "the well-behaved client failed: " + failure.get());
            assertTrue(!thread.isAlive(), "the well-behaved client is stuck");
        }

        @Override
        public void close() throws Exception {
            stop = true;
            thread.join(15_000);
            client.close();
        }
    }
}
