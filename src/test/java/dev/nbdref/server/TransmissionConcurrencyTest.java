package dev.nbdref.server;

import dev.nbdref.server.TransmissionClient.Mode;
import dev.nbdref.server.TransmissionClient.Reply;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.TransmissionFlag;
import dev.nbdref.testing.Verifies;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.nbdref.server.TransmissionClient.assertBytes;
import static dev.nbdref.server.TransmissionClient.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pipelining, out-of-order replies, several connections on one export (CAN_MULTI_CONN). */
class TransmissionConcurrencyTest {
    private static final int KIB = 1024;

    /** One request with the payload it carries (null unless WRITE). */
    private record Sent(Request request, byte[] payload) {}

    /**
     * 32 mixed requests (WRITEs to disjoint ranges, READs of a pre-written range, FLUSHes, a TRIM, a CACHE) are
     * sent back to back in one burst before any reply is read; then every cookie is answered exactly once, with
     * the right data for each READ, and every WRITE is visible afterwards.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S39", "S42", "S52", "S55"})
    void pipelinedRequestsAreEachAnsweredExactlyOnce(Mode mode) throws Exception {
        try (TestServer server = TestServer.standard();
             TransmissionClient c = TransmissionClient.open(server, "disk", mode)) {
            byte[] fixed = pattern(64 * KIB, 100);
            c.write(512 * KIB, fixed); // READs in the burst target only this range, which the burst never writes
            List<Sent> burst = new ArrayList<>();
            Map<Long, byte[]> written = new LinkedHashMap<>();
            for (int i = 0; i < 32; i++) {
                switch (i % 4) {
                    case 0, 2 -> {
                        long off = i * 8L * KIB + 3;
                        byte[] data = pattern(5000 + i, i);
                        int flags = i % 8 == 2 ? CommandFlag.FUA.bit : 0;
                        burst.add(new Sent(c.req(flags, CommandType.WRITE, off, data.length), data));
                        written.put(off, data);
                    }
                    case 1 -> burst.add(new Sent(c.req(CommandType.READ, 512 * KIB + i * 1000L, 1000 + i), null));
                    default -> burst.add(new Sent(i == 31 ? c.req(CommandType.CACHE, 0, 4096)
                            : i == 15 ? c.req(CommandType.TRIM, 900 * KIB, 4096) : c.req(CommandType.FLUSH, 0, 0), null));
                }
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            Map<Long, Request> outstanding = new LinkedHashMap<>();
            for (Sent s : burst) {
                bytes.write(s.request().encodeCompact());
                if (s.payload() != null) bytes.write(s.payload());
                assertTrue(outstanding.put(s.request().cookie(), s.request()) == null, "distinct cookies");
            }
            c.raw.send(bytes.toByteArray()); // one burst, no reply read yet

            Map<Long, Reply> replies = c.readReplies(outstanding); // fails on an unknown or repeated cookie
            assertEquals(outstanding.keySet(), replies.keySet(), "every cookie answered");
            for (Sent s : burst) {
                Reply r = replies.get(s.request().cookie());
                assertEquals(0, r.error(), s.request().toString());
                if (s.request().command() == CommandType.READ) {
                    int from = (int) (s.request().offset() - 512 * KIB);
                    assertBytes(java.util.Arrays.copyOfRange(fixed, from, from + (int) s.request().length()), r.data(),
                            s.request().toString());
                }
            }
            for (Map.Entry<Long, byte[]> w : written.entrySet()) {
                assertBytes(w.getValue(), c.read(w.getKey(), w.getValue().length), "write at " + w.getKey());
            }
            c.disconnect();
        }
    }

    /**
     * Four connections to one export (CAN_MULTI_CONN advertised) write disjoint ranges at the same time; after
     * all writes are answered, a FLUSH on one connection and READs on another see every connection's data.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S59", "S52"})
    void multipleConnectionsSeeEachOthersWritesAfterFlush(Mode mode) throws Exception {
        int connections = 4;
        int perConnection = 16;
        int block = 4 * KIB;
        try (TestServer server = TestServer.standard()) {
            List<TransmissionClient> clients = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(connections);
            try {
                for (int i = 0; i < connections; i++) clients.add(TransmissionClient.open(server, "disk", mode));
                for (TransmissionClient c : clients) assertTrue(c.advertised(TransmissionFlag.CAN_MULTI_CONN));
                List<Future<?>> done = new ArrayList<>();
                for (int i = 0; i < connections; i++) {
                    int conn = i;
                    TransmissionClient c = clients.get(i);
                    done.add(pool.submit((Callable<Void>) () -> {
                        for (int j = 0; j < perConnection; j++) {
                            long off = ((long) j * connections + conn) * block; // interleaved, disjoint
                            c.write(off, pattern(block, conn * 1000 + j));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) f.get(30, TimeUnit.SECONDS);
                TransmissionClient flusher = clients.get(0);
                assertEquals(0, flusher.errorOf(flusher.req(CommandType.FLUSH, 0, 0)));
                TransmissionClient reader = clients.get(connections - 1);
                for (int conn = 0; conn < connections; conn++) {
                    for (int j = 0; j < perConnection; j++) {
                        long off = ((long) j * connections + conn) * block;
                        assertBytes(pattern(block, conn * 1000 + j), reader.read(off, block),
                                "connection " + conn + " block " + j + " seen from another connection");
                    }
                }
                for (TransmissionClient c : clients) c.disconnect();
            } finally {
                pool.shutdownNow();
                for (TransmissionClient c : clients) c.close();
            }
        }
    }

    /**
     * A READ and a WRITE pipelined in one burst while another connection is busy: replies arrive matched by
     * cookie even though the server may complete them in any order.
     */
    @Test
    @Verifies({"S39"})
    void repliesMayComeInAnyOrderButMatchTheirCookies() throws Exception {
        try (TestServer server = TestServer.standard();
             TransmissionClient c = TransmissionClient.open(server, "disk", Mode.STRUCTURED)) {
            c.write(0, pattern(1 << 19, 7));
            Request bigRead = c.req(CommandType.READ, 0, 1 << 19);
            Request smallWrite = c.req(CommandType.WRITE, 900 * KIB, 16);
            Request smallRead = c.req(CommandType.READ, 0, 16);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.write(bigRead.encodeCompact());
            b.write(smallWrite.encodeCompact());
            b.write(pattern(16, 8));
            b.write(smallRead.encodeCompact());
            c.raw.send(b.toByteArray());
            Map<Long, Request> out = new LinkedHashMap<>();
            out.put(bigRead.cookie(), bigRead);
            out.put(smallWrite.cookie(), smallWrite);
            out.put(smallRead.cookie(), smallRead);
            Map<Long, Reply> replies = c.readReplies(out);
            assertBytes(pattern(1 << 19, 7), replies.get(bigRead.cookie()).data(), "big read");
            assertBytes(java.util.Arrays.copyOf(pattern(1 << 19, 7), 16), replies.get(smallRead.cookie()).data(),
                    "small read");
            assertEquals(0, replies.get(smallWrite.cookie()).error());
            assertBytes(pattern(16, 8), c.read(900 * KIB, 16), "small write");
            c.disconnect();
        }
    }
}
