package dev.nbdref.server;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.server.TransmissionClient.Mode;
import dev.nbdref.server.TransmissionClient.Reply;
import dev.nbdref.spec.CommandType;
import dev.nbdref.testing.Verifies;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.List;

import static dev.nbdref.server.TransmissionClient.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Robustness of one connection against another: a client that pipelines a lot and stops reading its replies
 * (legal: the spec lets replies wait) must not stop the server from serving other connections.
 */
class TransmissionIsolationTest {
    private static final int MIB = 1024 * 1024;

    /**
     * Connection A sends 64 one-MiB READs (the per-connection in-flight limit) and reads nothing; connection B,
     * opened before, then does a small READ and must be answered within the socket timeout. (No catalog rule says
     * this in so many words; S79 is the nearest: payloads this small are legitimate, not a denial of service, so
     * they must not deny service to other clients.)
     */
    @Test
    @Verifies({"S79"})
    void aClientThatStopsReadingDoesNotStallOtherConnections() throws Exception {
        try (TestServer server = new TestServer(List.of(new Export("big", null, new MemoryDevice(64L * MIB), false)));
             TransmissionClient stalled = TransmissionClient.open(server, "big", Mode.SIMPLE);
             TransmissionClient other = TransmissionClient.open(server, "big", Mode.STRUCTURED)) {
            other.write(0, pattern(4096, 1));
            ByteArrayOutputStream burst = new ByteArrayOutputStream();
            for (int i = 0; i < TransmissionLoop.MAX_IN_FLIGHT; i++) {
                burst.write(new Request(0, CommandType.READ.value, i, (long) (i % 60) * MIB, MIB).encodeCompact());
            }
            stalled.raw.send(burst.toByteArray()); // and never read the 64 MiB of replies
            Thread.sleep(300); // let the server pick them up
            Reply r = other.call(other.req(CommandType.READ, 0, 4096)); // RawClient: 10 s socket timeout
            assertEquals(0, r.error());
            other.disconnect();
        }
    }
}
