package dev.nbdref.server;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.server.TransmissionClient.Mode;
import dev.nbdref.server.TransmissionClient.Reply;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.Magic;
import dev.nbdref.spec.ReplyType;
import dev.nbdref.spec.TransmissionFlag;
import dev.nbdref.testing.Verifies;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import static dev.nbdref.server.TransmissionClient.EINVAL;
import static dev.nbdref.server.TransmissionClient.EOVERFLOW;
import static dev.nbdref.server.TransmissionClient.assertBytes;
import static dev.nbdref.server.TransmissionClient.assertZeroes;
import static dev.nbdref.server.TransmissionClient.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** NBD_CMD_READ and NBD_CMD_WRITE on the wire: framing, cookies, simple and structured (sparse, DF) reads. */
class TransmissionReadTest {
    private static final int KIB = 1024;
    private static final int MIB = 1024 * 1024;

    /** Data written at an unaligned offset reads back identically, with simple or structured replies. */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S39", "S40", "S41", "S55"})
    void writeThenReadRoundTrip(Mode mode) throws Exception {
        try (TestServer server = TestServer.standard();
             TransmissionClient c = TransmissionClient.open(server, "disk", mode)) {
            byte[] data = pattern(70_001, 1);
            c.write(12_345, data);
            assertBytes(data, c.read(12_345, data.length), "read back");
            assertBytes(Arrays.copyOfRange(data, 100, 300), c.read(12_445, 200), "read back a slice");
            assertZeroes(c.read(0, 12_345), "never written");
            c.disconnect();
        }
    }

    /** Every reply and every chunk carries the request's cookie bit for bit, whatever the command and result. */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S39"})
    void cookiesAreEchoedVerbatim(Mode mode) throws Exception {
        long[] cookies = {0L, -1L, 0x8000_0000_0000_0000L, 0x0000_0000_0000_0001L, 0x0123_4567_89AB_CDEFL,
                0xFEDC_BA98_7654_3210L, 0x0000_0001_0000_0000L};
        try (TestServer server = TestServer.standard();
             TransmissionClient c = TransmissionClient.open(server, "disk", mode)) {
            for (long cookie : cookies) {
                List<Request> requests = List.of(
                        new Request(0, CommandType.WRITE.value, cookie, 512, 16),
                        new Request(0, CommandType.READ.value, cookie, 0, 1024),
                        new Request(0, CommandType.FLUSH.value, cookie, 0, 0),
                        new Request(0, CommandType.TRIM.value, cookie, 4096, 4096),
                        new Request(0, CommandType.WRITE_ZEROES.value, cookie, 8192, 100),
                        new Request(0, CommandType.CACHE.value, cookie, 0, 4096),
                        new Request(0, CommandType.READ.value, cookie, 1L << 40, 1),  // EINVAL
                        new Request(0, 99, cookie, 0, 0));                              // EINVAL
                for (Request r : requests) {
                    byte[] payload = r.command() == CommandType.WRITE ? pattern(16, 3) : null;
                    Reply rep = c.call(r, payload); // checks the cookie of the reply and of every chunk
                    assertEquals(cookie, rep.cookie(), r.toString());
                }
            }
            c.disconnect();
        }
    }

    /**
     * Without structured replies a READ is answered by exactly the 16-byte simple header (magic, error 0, cookie)
     * followed by exactly the requested bytes: the next reply header starts right after them.
     */
    @Test
    @Verifies({"S40", "S39"})
    void simpleReadIsSixteenByteHeaderThenData() throws Exception {
        try (TestServer server = TestServer.standard();
             TransmissionClient c = TransmissionClient.open(server, "disk", Mode.SIMPLE)) {
            byte[] data = pattern(3000, 7);
            c.write(100, data);
            Request read = c.req(CommandType.READ, 100, 3000);
            Request flush = c.req(CommandType.FLUSH, 0, 0);
            c.send(read);
            ByteBuffer header = ByteBuffer.wrap(c.raw.readExactly(16));
            assertEquals(Magic.SIMPLE_REPLY, header.getInt());
            assertEquals(0, header.getInt());
            assertEquals(read.cookie(), header.getLong());
            assertBytes(data, c.raw.readExactly(3000), "payload");
            c.send(flush);
            ByteBuffer next = ByteBuffer.wrap(c.raw.readExactly(16));
            assertEquals(Magic.SIMPLE_REPLY, next.getInt(), "the next message starts right after the data");
            assertEquals(0, next.getInt());
            assertEquals(flush.cookie(), next.getLong());
            c.disconnect();
        }
    }

    /** Without structured replies a failed READ gets a simple reply with the error and no data (the stream stays in sync). */
    @Test
    @Verifies({"S40", "S47"})
    void simpleReadErrorHasNoPayload() throws Exception {
        try (TestServer server = TestServer.standard();
             TransmissionClient c = TransmissionClient.open(server, "disk", Mode.SIMPLE)) {
            Request bad = c.req(CommandType.READ, (1 << 20) - 10, 20);
            c.send(bad);
            RawClient.SimpleReply s = c.raw.readSimpleReply();
            assertEquals(EINVAL, s.error());
            assertEquals(bad.cookie(), s.cookie());
            c.assertUsable(); // a stray payload would be misread as the next header here
            c.disconnect();
        }
    }

    /**
     * With structured replies a READ never gets a simple reply, not even for an early EINVAL (bad flags, unknown
     * flag, past EOF): each error is an NBD_REPLY_TYPE_ERROR chunk with DONE.
     */
    @Test
    @Verifies({"S41", "S42", "S46"})
    void structuredReadNeverGetsASimpleReply() throws Exception {
        try (TestServer server = TestServer.standard();
             TransmissionClient c = TransmissionClient.open(server, "disk", Mode.STRUCTURED)) {
            List<Request> bad = List.of(
                    c.req(CommandType.READ, (1 << 20) - 1, 2),                               // past EOF
                    c.req(0x8000, CommandType.READ, 0, 512),                                 // unknown flag
                    c.req(CommandFlag.REQ_ONE.bit, CommandType.READ, 0, 512),                // flag of another command
                    c.req(CommandFlag.NO_HOLE.bit, CommandType.READ, 0, 512),
                    c.req(CommandType.READ, -512L, 1024));                                   // offset wraps
            for (Request r : bad) {
                Reply rep = c.call(r); // RawClient fails on a simple reply's magic
                assertFalse(rep.simple());
                assertEquals(EINVAL, rep.error(), r.toString());
                assertEquals(1, rep.chunks().size(), r.toString());
                assertEquals(ReplyType.ERROR.value, rep.chunks().get(0).type(), r.toString());
            }
            Reply ok = c.call(c.req(CommandType.READ, 0, 512));
            assertFalse(ok.simple());
            assertEquals(0, ok.error());
            c.disconnect();
        }
    }

    /**
     * A structured READ reply has exactly one chunk with NBD_REPLY_FLAG_DONE, and it is the last one; the other
     * chunks have no flags at all; a NONE chunk, if used, is empty and final.
     */
    @Test
    @Verifies({"S42", "S44", "S87"})
    void structuredReadHasExactlyOneDoneChunkAndItIsLast() throws Exception {
        try (TestServer server = TestServer.standard();
             TransmissionClient c = TransmissionClient.open(server, "disk", Mode.STRUCTURED)) {
            c.write(0, pattern(64 * KIB, 2));
            c.write(512 * KIB, pattern(64 * KIB, 3));
            for (long[] range : new long[][] {{0, 1 << 20}, {1000, 4000}, {60 * KIB, 10 * KIB}, {200 * KIB, 100}}) {
                Request r = c.req(CommandType.READ, range[0], range[1]);
                c.send(r);
                List<RawClient.Chunk> chunks = c.raw.readReply();
                long done = chunks.stream().filter(RawClient.Chunk::done).count();
                assertEquals(1, done, "chunks with DONE");
                assertTrue(chunks.get(chunks.size() - 1).done(), "DONE is last");
                for (RawClient.Chunk ch : chunks) {
                    assertEquals(0, ch.flags() & ~1, "reply flags");
                    if (ch.type() == ReplyType.NONE.value) assertEquals(0, ch.payload().length);
                }
                TransmissionClient.decodeStructured(r, chunks);
            }
            c.disconnect();
        }
    }

    /**
     * A structured READ of a 1 MiB sparse export with data at [0,64k) and [512k,576k) is answered with
     * OFFSET_DATA for the data and OFFSET_HOLE for the rest: inside the range, non-overlapping, each at least one
     * byte, covering the range exactly; also for unaligned sub-ranges.
     */
    @Test
    @Verifies({"S48", "S42", "S86", "S87"})
    void sparseStructuredReadUsesDataAndHoleChunksCoveringTheRange() throws Exception {
        try (TestServer server = TestServer.standard();
             TransmissionClient c = TransmissionClient.open(server, "disk", Mode.STRUCTURED)) {
            byte[] image = new byte[1 << 20];
            byte[] a = pattern(64 * KIB, 4);
            byte[] b = pattern(64 * KIB, 5);
            c.write(0, a);
            c.write(512 * KIB, b);
            System.arraycopy(a, 0, image, 0, a.length);
            System.arraycopy(b, 0, image, 512 * KIB, b.length);

            Reply whole = c.call(c.req(CommandType.READ, 0, 1 << 20)); // decodeStructured checks S48 placement
            assertBytes(image, whole.data(), "whole export");
            long dataBytes = 0;
            long holeBytes = 0;
            for (RawClient.Chunk ch : whole.contentChunks()) {
                ByteBuffer p = ch.body();
                long off = p.getLong();
                if (ch.type() == ReplyType.OFFSET_DATA.value) {
                    long n = ch.payload().length - 8;
                    assertTrue((off + n <= 64 * KIB) || (off >= 512 * KIB && off + n <= 576 * KIB),
                            "data chunk [" + off + "," + (off + n) + ") outside the written ranges");
                    dataBytes += n;
                } else {
                    long n = Integer.toUnsignedLong(p.getInt());
                    assertTrue((off >= 64 * KIB && off + n <= 512 * KIB) || off >= 576 * KIB,
                            "hole chunk [" + off + "," + (off + n) + ") over written data");
                    holeBytes += n;
                }
            }
            assertEquals(128 * KIB, dataBytes, "data sent as OFFSET_DATA");
            assertEquals((1 << 20) - 128 * KIB, holeBytes, "the rest sent as OFFSET_HOLE");

            for (long[] range : new long[][] {{1, 1 << 19}, {65_535, 2}, {100_000, 500_000}, {575 * KIB + 7, 1000},
                    {(1 << 20) - 1, 1}}) {
                Reply part = c.call(c.req(CommandType.READ, range[0], range[1]));
                assertBytes(Arrays.copyOfRange(image, (int) range[0], (int) (range[0] + range[1])), part.data(),
                        "range " + range[0] + "+" + range[1]);
            }
            c.disconnect();
        }
    }

    /**
     * A structured 8 MiB READ of data on a larger export is split into OFFSET_DATA chunks of at most 4 MiB
     * (the server's chunk size, well within the 32 MiB maximum payload).
     */
    @Test
    @Verifies({"S48", "S45", "S51"})
    void largeStructuredReadIsSplitIntoChunksOfAtMostFourMiB() throws Exception {
        try (TestServer server = new TestServer(List.of(new Export("big", null, new MemoryDevice(64L * MIB), false)));
             TransmissionClient c = TransmissionClient.open(server, "big", Mode.STRUCTURED)) {
            byte[] data = pattern(8 * MIB, 6);
            c.write(MIB, data);
            Reply rep = c.call(c.req(CommandType.READ, MIB, 8 * MIB));
            assertBytes(data, rep.data(), "8 MiB read");
            List<RawClient.Chunk> content = rep.contentChunks();
            assertTrue(content.size() >= 2, "an 8 MiB read is split");
            for (RawClient.Chunk ch : content) {
                assertEquals(ReplyType.OFFSET_DATA.value, ch.type());
                assertTrue(ch.payload().length - 8 <= 4 * MIB, "data chunk of " + (ch.payload().length - 8));
            }
            c.disconnect();
        }
    }

    /**
     * With NBD_CMD_FLAG_DF a read over data and holes gets exactly one content chunk: an OFFSET_DATA with the
     * hole's zeroes present; SEND_DF is advertised with structured replies.
     */
    @Test
    @Verifies({"S50", "S62"})
    void dontFragmentReadIsOneDataChunkWithZeroesFilledIn() throws Exception {
        try (TestServer server = TestServer.standard();
             TransmissionClient c = TransmissionClient.open(server, "disk", Mode.STRUCTURED)) {
            assertTrue(c.advertised(TransmissionFlag.SEND_DF), "SEND_DF with structured replies");
            byte[] a = pattern(64 * KIB, 8);
            c.write(0, a);
            for (long[] range : new long[][] {{32 * KIB, 64 * KIB}, {0, 1 << 20}, {100 * KIB, 4 * KIB}}) {
                Reply rep = c.call(c.req(CommandFlag.DF.bit, CommandType.READ, range[0], range[1]));
                assertEquals(0, rep.error());
                List<RawClient.Chunk> content = rep.contentChunks();
                assertEquals(1, content.size(), "DF: one content chunk for " + range[0] + "+" + range[1]);
                assertEquals(ReplyType.OFFSET_DATA.value, content.get(0).type(), "DF over mixed data uses OFFSET_DATA");
                byte[] expected = new byte[(int) range[1]];
                for (int i = 0; i < expected.length; i++) {
                    long at = range[0] + i;
                    if (at < a.length) expected[i] = a[(int) at];
                }
                assertBytes(expected, rep.data(), "DF data");
            }
            c.disconnect();
        }
    }

    /** A DF read larger than the maximum payload gets EOVERFLOW and no content chunk; a plain structured read of it works. */
    @Test
    @Verifies({"S50", "S81"})
    void dontFragmentReadLargerThanMaxPayloadIsEoverflowWithoutContent() throws Exception {
        try (TestServer server = new TestServer(List.of(new Export("big", null, new MemoryDevice(64L * MIB), false)));
             TransmissionClient c = TransmissionClient.open(server, "big", Mode.STRUCTURED)) {
            Reply df = c.call(c.req(CommandFlag.DF.bit, CommandType.READ, 0, 33 * MIB));
            assertEquals(EOVERFLOW, df.error());
            assertEquals(List.of(), df.contentChunks(), "no content chunk with EOVERFLOW");
            Reply plain = c.call(c.req(CommandType.READ, 0, 33 * MIB));
            assertEquals(0, plain.error(), "a structured read may exceed the maximum payload");
            assertZeroes(plain.data(), "never written");
            c.assertUsable();
            c.disconnect();
        }
    }

    /** Zero-length READ and WRITE succeed (no data, no disconnect) in both reply modes, and are recorded as C30. */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S83", "C30"})
    void zeroLengthReadAndWriteSucceed(Mode mode) throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (TransmissionClient c = TransmissionClient.open(server, "disk", mode)) {
                Reply rep = c.call(c.req(CommandType.READ, 4096, 0));
                assertEquals(0, rep.error());
                assertEquals(0, rep.data().length);
                assertEquals(0, c.errorOf(c.req(CommandType.WRITE, 4096, 0), new byte[0]));
                c.assertUsable();
                c.disconnect();
            }
            assertEquals(List.of("C30", "C30"), server.ruleIdsOf(1));
        }
    }

    /**
     * A structured READ over more extents than the server fetches from the device at once (1024): 2200 alternating
     * data and hole runs of 64 KiB, one 137.5 MiB request; the chunks still cover the range exactly once with the
     * right content, data as OFFSET_DATA and holes as OFFSET_HOLE.
     */
    @Test
    @Verifies({"S48", "S42"})
    void structuredReadOverManyExtentsCoversTheRange() throws Exception {
        int page = 64 * KIB;
        int pages = 2200;
        try (TestServer server = new TestServer(List.of(new Export("big", null, new MemoryDevice(256L * MIB), false)));
             TransmissionClient c = TransmissionClient.open(server, "big", Mode.STRUCTURED)) {
            java.util.Map<Long, Request> burst = new java.util.LinkedHashMap<>();
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            for (int p = 0; p < pages; p += 2) {
                Request w = c.req(CommandType.WRITE, (long) p * page + 100, 1);
                bytes.write(w.encodeCompact());
                bytes.write(new byte[] {(byte) (p / 2 + 1)});
                burst.put(w.cookie(), w);
                if (burst.size() == 50) { // stay well inside the server's in-flight window
                    c.raw.send(bytes.toByteArray());
                    c.readReplies(burst).values().forEach(r -> assertEquals(0, r.error()));
                    burst.clear();
                    bytes.reset();
                }
            }
            c.raw.send(bytes.toByteArray());
            c.readReplies(burst).values().forEach(r -> assertEquals(0, r.error()));

            Reply rep = c.call(c.req(CommandType.READ, 0, (long) pages * page));
            assertEquals(0, rep.error());
            for (int p = 0; p < pages; p++) {
                int at = p * page + 100;
                byte expected = p % 2 == 0 ? (byte) (p / 2 + 1) : 0;
                assertEquals(expected, rep.data()[at], "page " + p);
            }
            long holes = rep.contentChunks().stream().filter(ch -> ch.type() == ReplyType.OFFSET_HOLE.value).count();
            assertTrue(holes >= pages / 2, "holes sent as OFFSET_HOLE: " + holes);
            c.disconnect();
        }
    }
}
