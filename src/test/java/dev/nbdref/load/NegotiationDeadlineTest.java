package dev.nbdref.load;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.server.Export;
import dev.nbdref.server.NbdServer;
import dev.nbdref.server.ServerConfig;
import dev.nbdref.server.SizeConstraints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The documented negotiation bound (ServerConfig.handshakeTimeout: "how long a client may take to finish
 * negotiating"; docs/ARCHITECTURE.md, "Bounded resources": negotiation time 60 s) against an idle client and a slow
 * one, on an in-process server whose bound is 1 s: both must be cut off soon after it, whatever they do. The slow
 * client sends a valid option one byte every 200 ms, so no single read waits as long as the bound.
 */
class NegotiationDeadlineTest {
    private static final Duration BOUND = Duration.ofSeconds(1);
    /** How long past the bound a cut-off may take (scheduling on a busy machine). */
    private static final long GRACE_MILLIS = 3000;

    private static NbdServer server() throws IOException {
        ServerConfig config = new ServerConfig("127.0.0.1", 0,
                List.of(new Export("d", null, new MemoryDevice(1 << 20), false)), SizeConstraints.defaults(), null,
                Duration.ofSeconds(1), BOUND);
        return NbdServer.start(config, r -> { });
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void anIdleClientIsCutOff() throws Exception {
        try (NbdServer server = server(); Socket s = new Socket("127.0.0.1", server.port())) {
            long t0 = System.nanoTime();
            assertTrue(closedWithin(s, BOUND.toMillis() + GRACE_MILLIS), "an idle client is still connected");
            System.out.println("idle client cut off after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aClientSendingOneByteAtATimeIsCutOff() throws Exception {
        byte[] negotiation = ByteBuffer.allocate(4 + 16 + 7).putInt(3).putLong(0x49484156454F5054L).putInt(7).putInt(7)
                .putInt(1).put((byte) 'd').putShort((short) 0).array();
        try (NbdServer server = server(); Socket s = new Socket("127.0.0.1", server.port())) {
            long t0 = System.nanoTime();
            OutputStream out = s.getOutputStream();
            long limit = BOUND.toMillis() + GRACE_MILLIS;
            boolean cutOff = false;
            for (byte b : negotiation) {
                if ((System.nanoTime() - t0) / 1_000_000 > limit) break;
                try {
                    out.write(b);
                    out.flush();
                } catch (IOException e) {
                    cutOff = true;
                    break;
                }
                if (closedWithin(s, 200)) {
                    cutOff = true;
                    break;
                }
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(cutOff, "a client dribbling its negotiation one byte every 200 ms was still connected after "
                    + ms + " ms; the negotiation bound is " + BOUND.toMillis() + " ms (the timeout is only per read)");
        }
    }

    /** True when the server closes within {@code millis} (the greeting, if unread, is skipped). */
    private static boolean closedWithin(Socket s, long millis) throws IOException {
        InputStream in = s.getInputStream();
        long end = System.nanoTime() + millis * 1_000_000;
        byte[] buf = new byte[256];
        while (true) {
            long left = (end - System.nanoTime()) / 1_000_000;
            if (left <= 0) return false;
            s.setSoTimeout((int) left);
            try {
                if (in.read(buf) < 0) return true;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                return true;
            }
        }
    }
}
