package dev.nbdref.server;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.server.TransmissionClient.Mode;
import dev.nbdref.spec.TransmissionFlag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.nbdref.server.TransmissionClient.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The connection limit (ServerConfig.maxConnections, ConnectionSlots; docs/ARCHITECTURE.md, "Bounded resources"):
 * at the limit the server stops accepting, so a further client's connect succeeds but its greeting waits until a
 * connection ends; then it is served like any other. The spec has no "busy" answer before the greeting, so waiting
 * is the only reaction that neither misleads the client nor drops it. With a limit of 1, CAN_MULTI_CONN is not
 * advertised, since further connections would wait for ever.
 */
class ConnectionLimitTest {
    /** Long enough that a greeting, if the server were going to send one, would have arrived. */
    private static final long NO_GREETING_MILLIS = 1500;

    private static TestServer server(int limit) throws IOException {
        return new TestServer(List.of(new Export("d", null, new MemoryDevice(1 << 20), false)),
                c -> c.withMaxConnections(limit));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aClientBeyondTheLimitWaitsUntilOneLeavesAndIsThenServed() throws Exception {
        try (TestServer server = server(2);
             TransmissionClient first = TransmissionClient.open(server, "d", Mode.SIMPLE);
             TransmissionClient second = TransmissionClient.open(server, "d", Mode.STRUCTURED)) {
            CompletableFuture<TransmissionClient> third = CompletableFuture.supplyAsync(() -> open(server));
            Thread.sleep(NO_GREETING_MILLIS);
            assertFalse(third.isDone(), "a third client got through negotiation with a limit of 2");
            assertEquals(2, server.server.activeConnections());
            first.write(0, pattern(4096, 1)); // the two within the limit are served meanwhile
            assertArrayEquals(pattern(4096, 1), second.read(0, 4096));

            long left = System.nanoTime();
            first.disconnect();
            try (TransmissionClient served = third.get(5, TimeUnit.SECONDS)) {
                long millis = (System.nanoTime() - left) / 1_000_000;
                System.out.println("limit 2: the third client waited " + NO_GREETING_MILLIS + "+ ms without a"
                        + " greeting and was negotiated " + millis + " ms after the first left");
                served.write(4096, pattern(4096, 2));
                assertArrayEquals(pattern(4096, 2), served.read(4096, 4096));
                assertArrayEquals(pattern(4096, 1), served.read(0, 4096));
                assertEquals(2, server.server.activeConnections());
                served.disconnect();
            }
            second.disconnect();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void shutdownEndsAServerWhoseAcceptorWaitsForASlot() throws Exception {
        try (TestServer server = server(1);
             TransmissionClient only = TransmissionClient.open(server, "d", Mode.SIMPLE);
             Socket waiting = new Socket("127.0.0.1", server.port())) {
            waiting.setSoTimeout((int) NO_GREETING_MILLIS);
            assertTrue(noGreeting(waiting.getInputStream()), "a client beyond a limit of 1 got a greeting");
            long started = System.nanoTime();
            server.close(); // closing twice is harmless; 2 s grace for the open connection, then it is closed
            long millis = (System.nanoTime() - started) / 1_000_000;
            System.out.println("limit 1: shutdown with a client waiting for a slot took " + millis + " ms");
            assertTrue(millis < 10_000, "shutdown took " + millis + " ms");
            waiting.setSoTimeout(5000);
            assertTrue(closed(waiting.getInputStream()), "the waiting client was neither greeted nor closed");
        }
    }

    @Test
    void multiConnIsNotAdvertisedWhenOnlyOneConnectionIsAllowed() throws Exception {
        try (TestServer one = server(1); TransmissionClient c = TransmissionClient.open(one, "d", Mode.SIMPLE)) {
            assertFalse(c.advertised(TransmissionFlag.CAN_MULTI_CONN), "CAN_MULTI_CONN with a limit of 1");
            c.disconnect();
        }
        try (TestServer two = server(2); TransmissionClient c = TransmissionClient.open(two, "d", Mode.SIMPLE)) {
            assertTrue(c.advertised(TransmissionFlag.CAN_MULTI_CONN), "no CAN_MULTI_CONN with a limit of 2");
            c.disconnect();
        }
    }

    private static TransmissionClient open(TestServer server) {
        try {
            return TransmissionClient.open(server, "d", Mode.STRUCTURED);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** True when nothing arrives within the socket timeout. */
    private static boolean noGreeting(InputStream in) throws IOException {
        try {
            in.read();
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        }
    }

    /** True when the stream ends (or is reset) without a byte. */
    private static boolean closed(InputStream in) throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketException e) {
            return true;
        }
    }
}
