package dev.nbdref.server;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.server.TransmissionClient.Descriptor;
import dev.nbdref.server.TransmissionClient.Mode;
import dev.nbdref.server.TransmissionClient.Reply;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.InfoType;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.testing.Verifies;
import dev.nbdref.wire.OptionReply;
import dev.nbdref.wire.Request;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.nbdref.server.TransmissionClient.EOVERFLOW;
import static dev.nbdref.server.TransmissionClient.assertBytes;
import static dev.nbdref.server.TransmissionClient.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Server-controlled reply sizes against a configured (non-default) maximum payload, and requests larger than the
 * server's own buffers: what the server advertises in NBD_INFO_BLOCK_SIZE is what it must live by.
 */
class TransmissionPayloadLimitsTest {
    private static final int KIB = 1024;
    private static final int MIB = 1024 * 1024;

    /** The maximum payload the server advertised in GO's NBD_INFO_BLOCK_SIZE. */
    private static long advertisedMaxPayload(RawClient raw, String export) throws Exception {
        for (OptionReply r : raw.go(export, InfoType.BLOCK_SIZE.value)) {
            if (r.replyType() != OptionReplyType.INFO) continue;
            ByteBuffer b = ByteBuffer.wrap(r.payload());
            if (Short.toUnsignedInt(b.getShort()) == InfoType.BLOCK_SIZE.value) {
                b.getInt();
                b.getInt();
                return Integer.toUnsignedLong(b.getInt());
            }
        }
        fail("no NBD_INFO_BLOCK_SIZE although it was requested");
        return -1;
    }

    /**
     * With a 1 MiB maximum payload advertised, a structured 8 MiB READ of data must come in OFFSET_DATA chunks
     * whose data is at most 1 MiB each (S45: no variable-length part of a chunk above the advertised maximum).
     */
    @Test
    @Verifies({"S45", "S48"})
    void structuredReadChunksRespectTheAdvertisedMaximumPayload() throws Exception {
        SizeConstraints sizes = new SizeConstraints(1, 4096, MIB);
        try (TestServer server = new TestServer(List.of(new Export("big", null, new MemoryDevice(16L * MIB), false)),
                c -> c.withSizes(sizes));
             TransmissionClient c = TransmissionClient.open(server, "big", Mode.STRUCTURED, InfoType.BLOCK_SIZE.value)) {
            byte[] data = new byte[8 * MIB];
            for (int i = 0; i < 8; i++) System.arraycopy(pattern(MIB, i), 0, data, i * MIB, MIB);
            for (int i = 0; i < 8; i++) c.write((long) i * MIB, pattern(MIB, i)); // each WRITE within the maximum
            Reply rep = c.call(c.req(CommandType.READ, 0, 8 * MIB));
            assertBytes(data, rep.data(), "8 MiB read");
            for (RawClient.Chunk ch : rep.contentChunks()) {
                assertTrue(ch.payload().length - 8 <= MIB,
                        "S45: OFFSET_DATA chunk carries " + (ch.payload().length - 8) + " bytes, above the advertised"
                                + " maximum payload of " + MIB);
            }
            c.disconnect();
        }
    }

    /**
     * With a 4 KiB maximum payload advertised, a BLOCK_STATUS over 1024 alternating extents must not send a status
     * chunk whose descriptor list exceeds 4 KiB (the reply may describe less than asked: the client asks again).
     */
    @Test
    @Verifies({"S45", "S64", "S66"})
    void blockStatusChunksRespectTheAdvertisedMaximumPayload() throws Exception {
        SizeConstraints sizes = new SizeConstraints(1, 4096, 4096);
        int page = 64 * KIB;
        int pages = 1024;
        try (TestServer server = new TestServer(List.of(new Export("big", null, new MemoryDevice(64L * MIB), false)),
                c -> c.withSizes(sizes));
             TransmissionClient c = TransmissionClient.open(server, "big", Mode.BLOCK_STATUS, InfoType.BLOCK_SIZE.value)) {
            Map<Long, Request> burst = new LinkedHashMap<>();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (int p = 0; p < pages; p += 2) {
                Request w = c.req(CommandType.WRITE, (long) p * page, 1);
                bytes.write(w.encodeCompact());
                bytes.write(1);
                burst.put(w.cookie(), w);
                if (burst.size() == 50 || p + 2 >= pages) {
                    c.raw.send(bytes.toByteArray());
                    c.readReplies(burst).values().forEach(r -> assertEquals(0, r.error()));
                    burst.clear();
                    bytes.reset();
                }
            }
            Reply rep = c.call(c.req(CommandType.BLOCK_STATUS, 0, (long) pages * page));
            assertEquals(0, rep.error());
            int length = rep.chunks().get(0).payload().length;
            List<Descriptor> ds = rep.status().get(c.contextId);
            assertTrue(length - 4 <= 4096, "S45: status chunk with " + ds.size() + " descriptors (" + (length - 4)
                    + " bytes), above the advertised maximum payload of 4096");
            c.disconnect();
        }
    }

    /** The advertised maximum payload is what was configured (so the two tests above test what they claim). */
    @Test
    @Verifies({"S15", "S78"})
    void configuredMaximumPayloadIsAdvertised() throws Exception {
        SizeConstraints sizes = new SizeConstraints(1, 4096, MIB);
        try (TestServer server = new TestServer(List.of(new Export("big", null, new MemoryDevice(16L * MIB), false)),
                c -> c.withSizes(sizes));
             RawClient raw = server.connect()) {
            raw.handshake();
            assertEquals(MIB, advertisedMaxPayload(raw, "big"));
            raw.request(new Request(0, CommandType.DISC.value, 1, 0, 0));
            raw.assertClosedByServer();
        }
    }

    /**
     * With a maximum payload of 0xffffffff ("no fixed limit", which the spec permits), a READ longer than the
     * server's internal buffer budget (600 MiB; simple reply, or DF so it must be one chunk) must still get a reply,
     * or at worst a hard disconnect (allowed above 32 MiB as a DoS defence). It must never be left unanswered on
     * an open connection.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S69", "S78"})
    void readLargerThanTheBufferBudgetIsAnsweredOrDisconnected(Mode mode) throws Exception {
        SizeConstraints unlimited = new SizeConstraints(1, 4096, 0xFFFF_FFFF);
        try (TestServer server = new TestServer(List.of(new Export("big", null, new MemoryDevice(1L << 30), false)),
                c -> c.withSizes(unlimited));
             TransmissionClient c = TransmissionClient.open(server, "big", mode, InfoType.BLOCK_SIZE.value)) {
            int flags = mode == Mode.SIMPLE ? 0 : CommandFlag.DF.bit;
            c.send(c.req(flags, CommandType.READ, 0, 600L * MIB));
            try {
                if (mode == Mode.SIMPLE) {
                    c.raw.readSimpleReply(); // the header is enough: the server did answer
                } else {
                    RawClient.Chunk first = c.raw.readChunk();
                    if ((first.type() & 0x8000) != 0) assertEquals(EOVERFLOW, first.body().getInt(), "DF refusal");
                }
            } catch (SocketTimeoutException e) {
                fail("a 600 MiB READ was neither answered nor refused nor disconnected within 10 s");
            } catch (EOFException | SocketException closed) {
                // a hard disconnect is an allowed answer to a request this large
            }
        }
    }
}
