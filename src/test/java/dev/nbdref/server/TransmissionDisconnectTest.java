package dev.nbdref.server;

import dev.nbdref.server.TransmissionClient.Mode;
import dev.nbdref.server.TransmissionClient.Reply;
import dev.nbdref.spec.CommandType;
import dev.nbdref.testing.Verifies;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.nbdref.server.TransmissionClient.ESHUTDOWN;
import static dev.nbdref.server.TransmissionClient.assertBytes;
import static dev.nbdref.server.TransmissionClient.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/** Ending transmission: NBD_CMD_DISC (soft disconnect) and server shutdown (ESHUTDOWN). */
class TransmissionDisconnectTest {
    private static final int KIB = 1024;

    /**
     * Requests sent in one burst ending with DISC are all answered before the server closes the connection;
     * their writes took effect; DISC itself gets no reply; no violation is recorded.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S61", "S39"})
    void discWithRequestsInFlightAnswersAllThenCloses(Mode mode) throws Exception {
        try (TestServer server = TestServer.standard()) {
            Map<Long, Request> outstanding = new LinkedHashMap<>();
            try (TransmissionClient c = TransmissionClient.open(server, "disk", mode)) {
                ByteArrayOutputStream burst = new ByteArrayOutputStream();
                for (int i = 0; i < 16; i++) {
                    Request r = i % 2 == 0 ? c.req(CommandType.WRITE, i * 64L * KIB, 32 * KIB)
                            : c.req(CommandType.READ, (i - 1) * 64L * KIB, 64 * KIB);
                    burst.write(r.encodeCompact());
                    if (r.command() == CommandType.WRITE) burst.write(pattern(32 * KIB, i));
                    outstanding.put(r.cookie(), r);
                }
                burst.write(new Request(0, CommandType.DISC.value, c.cookie(), 0, 0).encodeCompact());
                c.raw.send(burst.toByteArray());
                Map<Long, Reply> replies = c.readReplies(outstanding);
                assertEquals(outstanding.keySet(), replies.keySet());
                replies.values().forEach(r -> assertEquals(0, r.error()));
                c.raw.assertClosedByServer(); // nothing for DISC, then the close
            }
            assertEquals(List.of(), server.ruleIdsOf(1), "a clean soft disconnect");
            try (TransmissionClient again = TransmissionClient.open(server, "disk", mode)) {
                for (int i = 0; i < 16; i += 2) {
                    assertBytes(pattern(32 * KIB, i), again.read(i * 64L * KIB, 32 * KIB), "write " + i + " done");
                }
                again.disconnect();
            }
        }
    }

    /**
     * A request sent after DISC (in the same burst) is never answered: the server answers what came before, then
     * closes; the trailing bytes are recorded as C32.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S61", "C32"})
    void nothingAfterDiscIsAnswered(Mode mode) throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (TransmissionClient c = TransmissionClient.open(server, "disk", mode)) {
                Request before = c.req(CommandType.READ, 0, 512);
                Request after = c.req(CommandType.READ, 512, 512);
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                b.write(before.encodeCompact());
                b.write(new Request(0, CommandType.DISC.value, c.cookie(), 0, 0).encodeCompact());
                b.write(after.encodeCompact());
                b.write(c.req(CommandType.FLUSH, 0, 0).encodeCompact());
                c.raw.send(b.toByteArray()); // one write: all of it arrives together
                assertEquals(0, c.readReplyTo(before).error());
                c.raw.assertClosedByServer();
            }
            assertEquals(List.of("C32"), server.ruleIdsOf(1));
        }
    }

    /** DISC with a non-zero offset or length still disconnects (C31 is noted), without a reply. */
    @Test
    @Verifies({"C31", "S61"})
    void discWithNonZeroFieldsStillDisconnects() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (TransmissionClient c = TransmissionClient.open(server, "disk", Mode.STRUCTURED)) {
                c.raw.request(new Request(0, CommandType.DISC.value, c.cookie(), 4096, 512));
                c.raw.assertClosedByServer();
            }
            assertEquals(List.of("C31"), server.ruleIdsOf(1));
        }
    }

    /**
     * Once the server is shutting down, a new request on a connection already in transmission is answered with
     * ESHUTDOWN (and the client may then disconnect softly); a request answered before the shutdown was served.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S69"})
    void requestsDuringShutdownGetEshutdown(Mode mode) throws Exception {
        try (TestServer server = TestServer.standard();
             TransmissionClient c = TransmissionClient.open(server, "disk", mode)) {
            c.write(0, pattern(4096, 1));
            Thread stopper = new Thread(server.server::shutdown, "test-shutdown");
            stopper.setDaemon(true);
            stopper.start();
            awaitListenerClosed(server.port()); // shutdown() marks the server as stopping, then closes the listener
            Reply r = c.call(c.req(CommandType.READ, 0, 4096));
            assertEquals(ESHUTDOWN, r.error(), "a new request during shutdown");
            Reply w = c.call(c.req(CommandType.WRITE, 4096, 10), pattern(10, 2));
            assertEquals(ESHUTDOWN, w.error(), "a new WRITE during shutdown (payload skipped)");
            c.disconnect();
            stopper.join(TimeUnit.SECONDS.toMillis(15));
            assertFalse(stopper.isAlive(), "shutdown finished");
        }
    }

    /** Waits (bounded) until nothing accepts connections on {@code port} any more. */
    private static void awaitListenerClosed(int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
        while (System.nanoTime() < deadline) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 200);
            } catch (IOException refused) {
                return;
            }
            Thread.sleep(5);
        }
        fail("the listener is still open 1.5 s after shutdown() started");
    }
}
