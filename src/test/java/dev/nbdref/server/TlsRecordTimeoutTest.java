package dev.nbdref.server;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.conformance.ConnectionReport;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.Magic;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.testing.Verifies;
import dev.nbdref.tls.TlsMode;
import dev.nbdref.tls.TlsSettings;
import dev.nbdref.tls.TlsUpgrader;
import dev.nbdref.wire.Greeting;
import dev.nbdref.wire.InfoRequest;
import dev.nbdref.wire.OptionHeader;
import dev.nbdref.wire.OptionReply;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.nbdref.server.TransmissionClient.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The request timeout under TLS starts with the first ciphertext byte of the record carrying a request, not when
 * the record has been decrypted (RequestRecordClock): a client that sends a record header and then trickles the
 * record's body a byte a second is cut off soon after the bound, while an idle TLS connection, even one that sent
 * a record carrying no data (a TLS 1.3 KeyUpdate), is left alone and served afterwards. Bound 2 s, as in
 * TransmissionTimeoutTest. (The spec names no such timeout; S79 is the nearest rule.)
 */
class TlsRecordTimeoutTest {
    private static final Duration BOUND = Duration.ofSeconds(2);
    private static final long GRACE_MILLIS = 3000;
    private static final String TRICKLE_REASON = "server hard disconnect: request not complete within 2 s";
    /** A TLS application_data record header (TLS 1.2 legacy version, as TLS 1.3 also writes) for 64 body bytes. */
    private static final byte[] RECORD_HEADER = {0x17, 0x03, 0x03, 0x00, 0x40};

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    @Verifies({"S79"})
    void aTrickledRecordIsCutOffAfterTheBound(@TempDir Path dir) throws Exception {
        try (TestServer server = tlsServer(dir); TlsClient slow = TlsClient.open(server, dir)) {
            slow.rawSend(RECORD_HEADER);
            long started = System.nanoTime();
            ConnectionReport end = null;
            for (int i = 0; i < 64 && end == null && elapsedMillis(started) < BOUND.toMillis() + GRACE_MILLIS; i++) {
                Thread.sleep(1000);
                try {
                    slow.rawSend(new byte[] {(byte) i});
                } catch (IOException e) {
                    // cut off: the report follows
                }
                end = reportOf(server, "c1", 0);
            }
            if (end == null) end = reportOf(server, "c1", 2000);
            long millis = elapsedMillis(started);
            System.out.println("TLS record trickled at 1 byte/s after its header: connection ended after ~" + millis
                    + " ms: " + (end == null ? "still open" : end.endReason()));
            assertNotNull(end, "a client trickling a TLS record was still connected after " + millis + " ms");
            assertEquals(TRICKLE_REASON, end.endReason());
            assertTrue(millis >= BOUND.toMillis() - 100, "cut off after " + millis + " ms, before the bound");
            assertTrue(millis <= BOUND.toMillis() + GRACE_MILLIS, "cut off only after " + millis + " ms");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anIdleTlsConnectionStaysOpenEvenAfterARecordWithoutData(@TempDir Path dir) throws Exception {
        try (TestServer server = tlsServer(dir); TlsClient idle = TlsClient.open(server, dir)) {
            idle.write(0, pattern(4096, 5));
            idle.tls.startHandshake(); // over TLS 1.3 this sends a KeyUpdate: a record that carries no request
            Thread.sleep(BOUND.toMillis() * 2 + 1000); // twice the bound without a byte either way
            assertTrue(server.reports.isEmpty(), "an idle TLS connection was ended: " + server.reports);
            assertArrayEquals(pattern(4096, 5), idle.read(0, 4096));
            System.out.println("TLS (" + idle.tls.getSession().getProtocol() + "): idle for "
                    + (BOUND.toMillis() * 2 + 1000) + " ms after a KeyUpdate, then served");
        }
    }

    private static TestServer tlsServer(Path dir) throws Exception {
        Path pki = NegotiationTlsSupport.pki(dir);
        TlsUpgrader upgrader = new TlsSettings(pki, null, false, List.of()).createUpgrader();
        return new TestServer(List.of(new Export("d", null, new MemoryDevice(1 << 20), false)),
                c -> c.withTls(TlsMode.REQUIRE, upgrader).withIoTimeout(BOUND));
    }

    private static long elapsedMillis(long since) { return (System.nanoTime() - since) / 1_000_000; }

    /** The report of connection {@code id}, waiting up to {@code millis} for it; null if it is still open. */
    private static ConnectionReport reportOf(TestServer server, String id, long millis) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        do {
            for (ConnectionReport r : server.reports) if (r.connectionId().equals(id)) return r;
            Thread.sleep(10);
        } while (System.nanoTime() < end);
        return null;
    }

    /**
     * A client in transmission over TLS (simple replies) that can also write raw bytes beneath its TLS layer,
     * as a client hand-crafting records would.
     */
    private static final class TlsClient implements AutoCloseable {
        private final Socket plain;
        private final SSLSocket tls;
        private long cookie = 1;

        private TlsClient(Socket plain, SSLSocket tls) {
            this.plain = plain;
            this.tls = tls;
        }

        static TlsClient open(TestServer server, Path dir) throws Exception {
            Socket plain = new Socket("127.0.0.1", server.port());
            plain.setSoTimeout(10_000);
            plain.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(plain.getInputStream());
            Greeting.decode(readExactly(in, Greeting.SIZE));
            send(plain.getOutputStream(), ByteBuffer.allocate(4).putInt(RawClient.FIXED_AND_NO_ZEROES).array());
            send(plain.getOutputStream(), OptionHeader.encode(OptionType.STARTTLS.value, new byte[0]));
            assertEquals(OptionReplyType.ACK, finalReply(in).replyType(), "STARTTLS");
            SSLContext ctx = NegotiationTlsSupport.clientContext(dir);
            SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(plain, "localhost", server.port(), true);
            tls.setUseClientMode(true);
            tls.startHandshake();
            DataInputStream tin = new DataInputStream(tls.getInputStream());
            send(tls.getOutputStream(), OptionHeader.encode(OptionType.GO.value, new InfoRequest("d", List.of()).encode()));
            assertEquals(OptionReplyType.ACK, finalReply(tin).replyType(), "GO");
            return new TlsClient(plain, tls);
        }

        /** Bytes straight onto the TCP stream, beneath TLS. */
        void rawSend(byte[] bytes) throws IOException { send(plain.getOutputStream(), bytes); }

        void write(long offset, byte[] data) throws IOException {
            long c = cookie++;
            send(tls.getOutputStream(), new Request(0, CommandType.WRITE.value, c, offset, data.length).encodeCompact());
            send(tls.getOutputStream(), data);
            assertEquals(0, replyError(c), "WRITE");
        }

        byte[] read(long offset, int length) throws IOException {
            long c = cookie++;
            send(tls.getOutputStream(), new Request(0, CommandType.READ.value, c, offset, length).encodeCompact());
            assertEquals(0, replyError(c), "READ");
            return readExactly(new DataInputStream(tls.getInputStream()), length);
        }

        private int replyError(long expectedCookie) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(readExactly(new DataInputStream(tls.getInputStream()), 16));
            assertEquals(Magic.SIMPLE_REPLY, b.getInt(), "simple reply magic");
            int error = b.getInt();
            assertEquals(expectedCookie, b.getLong(), "cookie");
            return error;
        }

        private static OptionReply finalReply(DataInputStream in) throws Exception {
            while (true) {
                OptionReply.Header h = OptionReply.decodeHeader(readExactly(in, OptionReply.HEADER_SIZE));
                OptionReply r = new OptionReply(h.option(), h.type(), readExactly(in, (int) h.length()));
                if (r.replyType() != OptionReplyType.INFO) return r;
            }
        }

        private static void send(OutputStream out, byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        private static byte[] readExactly(DataInputStream in, int n) throws IOException {
            byte[] b = new byte[n];
            in.readFully(b);
            return b;
        }

        @Override
        public void close() throws IOException {
            tls.close();
            plain.close();
        }
    }
}
