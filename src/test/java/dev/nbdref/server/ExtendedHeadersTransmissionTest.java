package dev.nbdref.server;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.server.ExtendedClient.Chunk;
import dev.nbdref.server.ExtendedClient.Reply;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.InfoType;
import dev.nbdref.spec.ReplyType;
import dev.nbdref.spec.TransmissionFlag;
import dev.nbdref.testing.Verifies;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.nbdref.server.ExtendedClient.EINVAL;
import static dev.nbdref.server.ExtendedClient.ENOSPC;
import static dev.nbdref.server.ExtendedClient.assertSingleError;
import static dev.nbdref.server.ExtendedClient.assertSingleNone;
import static dev.nbdref.server.TransmissionClient.assertBytes;
import static dev.nbdref.server.TransmissionClient.assertZeroes;
import static dev.nbdref.server.TransmissionClient.pattern;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The transmission phase with extended headers: 32-byte reply framing for every kind of reply (S71), the
 * request rules (extended magic, PAYLOAD_LEN, payload consumption and limits), and the compact-header
 * treatment of PAYLOAD_LEN.
 */
class ExtendedHeadersTransmissionTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final int DISK = 1 << 20;
    private static final int MIB = 1 << 20;
    private static final int PAYLOAD_LEN = CommandFlag.PAYLOAD_LEN.bit;
    private static final int FUA = CommandFlag.FUA.bit;

    /**
     * Successful WRITE (with and without FUA), FLUSH, TRIM, WRITE_ZEROES (with and without NO_HOLE) and CACHE are
     * each answered by exactly one 32-byte NONE chunk with DONE that echoes the cookie and the request offset,
     * never by a 16-byte simple reply.
     */
    @Test
    @Verifies({"S71", "S39", "S42", "S87"})
    void payloadlessSuccessIsOneNoneChunk() throws Exception {
        try (TestServer server = TestServer.standard();
             ExtendedClient c = ExtendedClient.open(server, "disk")) {
            byte[] data = pattern(3000, 1);
            assertSingleNone(c.call(c.writeReq(0, 4097, data.length), data), "WRITE");
            assertSingleNone(c.call(c.writeReq(FUA, 70_000, data.length), data), "WRITE|FUA");
            assertSingleNone(c.call(c.req(CommandType.FLUSH, 0, 0)), "FLUSH");
            assertSingleNone(c.call(c.req(CommandType.TRIM, 65536, 65536)), "TRIM");
            assertSingleNone(c.call(c.req(CommandType.WRITE_ZEROES, 123, 4000)), "WRITE_ZEROES");
            assertSingleNone(c.call(c.req(CommandFlag.NO_HOLE.bit, CommandType.WRITE_ZEROES, 200_000, 70_000)),
                    "WRITE_ZEROES|NO_HOLE");
            assertSingleNone(c.call(c.req(CommandType.CACHE, 512, 8192)), "CACHE");
            c.disconnect();
        }
    }

    /**
     * Byte for byte: a hand-assembled extended WRITE at offset 0xABC00 and a FLUSH get exactly
     * 6e8a278c|0001|0000|cookie|offset|0000000000000000 each and nothing in between; the READ of the written bytes
     * is one OFFSET_DATA chunk whose header offset and payload offset are both the request offset.
     */
    @Test
    @Verifies({"S71", "S39", "S42"})
    void rawBytesOfExtendedReplies() throws Exception {
        try (TestServer server = TestServer.standard();
             ExtendedClient c = ExtendedClient.open(server, "disk")) {
            byte[] write = HEX.parseHex("21e41c71" + "0020" + "0001" + "cafef00d12345678" + "00000000000abc00"
                    + "0000000000000010" + "00112233445566778899aabbccddeeff");
            byte[] flush = HEX.parseHex("21e41c71" + "0000" + "0003" + "ffffffffffffffff" + "0000000000000000"
                    + "0000000000000000");
            c.raw.send(write);
            c.raw.send(flush);
            assertEquals("6e8a278c" + "0001" + "0000" + "cafef00d12345678" + "00000000000abc00" + "0000000000000000",
                    HEX.formatHex(c.raw.readExactly(32)), "WRITE reply");
            assertEquals("6e8a278c" + "0001" + "0000" + "ffffffffffffffff" + "0000000000000000" + "0000000000000000",
                    HEX.formatHex(c.raw.readExactly(32)), "FLUSH reply");
            c.raw.send(HEX.parseHex("21e41c71" + "0000" + "0000" + "0000000000000007" + "00000000000abc00"
                    + "0000000000000010"));
            assertEquals("6e8a278c" + "0001" + "0001" + "0000000000000007" + "00000000000abc00" + "0000000000000018"
                    + "00000000000abc00" + "00112233445566778899aabbccddeeff", HEX.formatHex(c.raw.readExactly(56)),
                    "READ reply: one OFFSET_DATA chunk of 8 + 16 bytes");
            c.disconnect();
        }
    }

    /**
     * Errors are single NBD_REPLY_TYPE_ERROR chunks with DONE that echo the request offset: READ past the end
     * (EINVAL), WRITE past the end (ENOSPC, payload consumed), an unknown command (EINVAL), BLOCK_STATUS without a
     * selected context (EINVAL); the stream stays in sync.
     */
    @Test
    @Verifies({"S71", "S41", "S46", "S70", "C26", "C34", "C24"})
    void errorsAreErrorChunks() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (ExtendedClient c = ExtendedClient.open(server, "disk")) {
                assertSingleError(c.call(c.req(CommandType.READ, DISK - 512, 1024)), EINVAL, "READ past the end");
                byte[] data = pattern(1024, 2);
                assertSingleError(c.call(c.writeReq(0, DISK - 512, data.length), data), ENOSPC, "WRITE past the end");
                assertSingleError(c.call(new Request(0, 42, c.cookie(), 4096, 512)), EINVAL, "unknown command 42");
                assertSingleError(c.call(c.req(CommandType.BLOCK_STATUS, 0, 4096)), EINVAL, "BLOCK_STATUS, no context");
                c.assertUsable();
                c.disconnect();
            }
            assertEquals(List.of("C26", "C26", "C34", "C24"), server.ruleIdsOf(1));
        }
    }

    /**
     * A READ over data, holes and a data run longer than one chunk is answered by several OFFSET_DATA and
     * OFFSET_HOLE chunks; every chunk header carries the request offset (1000) while the payload offsets walk
     * through the range, and the reassembled bytes are what was written.
     */
    @Test
    @Verifies({"S71", "S48", "S42", "S87"})
    void multiChunkReadEchoesTheRequestOffsetInEveryChunk() throws Exception {
        long size = 16L * MIB;
        try (TestServer server = new TestServer(List.of(new Export("big", null, new MemoryDevice(size), false)));
             ExtendedClient c = ExtendedClient.open(server, "big")) {
            byte[] model = new byte[(int) size];
            byte[] a = pattern(5 * MIB, 3);
            byte[] b = pattern(4096, 4);
            c.write(MIB, a);
            c.write(8L * MIB, b);
            System.arraycopy(a, 0, model, MIB, a.length);
            System.arraycopy(b, 0, model, 8 * MIB, b.length);
            long offset = 1000;
            int length = 10 * MIB;
            Reply rep = c.call(c.req(CommandType.READ, offset, length));
            assertEquals(0, rep.error());
            List<Chunk> data = rep.ofType(ReplyType.OFFSET_DATA);
            List<Chunk> holes = rep.ofType(ReplyType.OFFSET_HOLE);
            assertTrue(data.size() >= 3, "5 MiB of data takes more than one 4 MiB chunk, plus the 4 KiB run: "
                    + rep.chunks());
            assertTrue(holes.size() >= 2, "holes before and between the data: " + rep.chunks());
            for (Chunk ch : rep.chunks()) assertEquals(offset, ch.offset(), "S71: header offset of " + ch);
            assertTrue(rep.dataChunks().keySet().stream().anyMatch(o -> o != offset), "payload offsets differ");
            byte[] expected = new byte[length];
            System.arraycopy(model, (int) offset, expected, 0, length);
            assertBytes(expected, rep.data(), "reassembled READ");
            c.disconnect();
        }
    }

    /**
     * Cookies are echoed verbatim, including 0, all ones and the top bit alone, with eight requests of different
     * kinds in flight at once (replies may come in any order).
     */
    @Test
    @Verifies({"S39", "S71", "S42"})
    void cookiesAreEchoedWithManyRequestsInFlight() throws Exception {
        try (TestServer server = TestServer.standard();
             ExtendedClient c = ExtendedClient.open(server, "disk")) {
            long[] cookies = {0, -1L, Long.MIN_VALUE, 0x0123456789ABCDEFL, 1, 0x7FFF_FFFF_FFFF_FFFFL,
                    0xFFFF_FFFF_0000_0000L, 0x0000_0000_FFFF_FFFFL};
            Map<Long, Request> sent = new LinkedHashMap<>();
            for (int i = 0; i < cookies.length; i++) {
                long off = 65536L * i + 17 * i;
                Request r;
                byte[] payload = null;
                switch (i % 4) {
                    case 0: r = new Request(PAYLOAD_LEN, CommandType.WRITE.value, cookies[i], off, 5000);
                        payload = pattern(5000, i); break;
                    case 1: r = new Request(0, CommandType.READ.value, cookies[i], off, 70_000); break;
                    case 2: r = new Request(0, CommandType.WRITE_ZEROES.value, cookies[i], off, 3000); break;
                    default: r = new Request(0, CommandType.FLUSH.value, cookies[i], 0, 0); break;
                }
                sent.put(cookies[i], r);
                c.send(r, payload);
            }
            Map<Long, Reply> replies = c.readReplies(sent);
            assertEquals(sent.keySet(), replies.keySet());
            for (Reply rep : replies.values()) assertEquals(0, rep.error(), "reply to " + sent.get(rep.cookie()));
            c.disconnect();
        }
    }

    /**
     * After extended headers, a compact request (magic 0x25609513) breaks the framing: C18 and a hard
     * disconnect, with no reply.
     */
    @Test
    @Verifies({"C18"})
    void compactRequestAfterExtendedHeadersDisconnects() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (ExtendedClient c = ExtendedClient.open(server, "disk")) {
                Request flush = new Request(0, CommandType.FLUSH.value, 5, 0, 0);
                c.raw.send(NegotiationSupport.cat(flush.encodeCompact(), flush.encodeCompact()));
                c.raw.assertClosedByServer();
            }
            assertEquals(List.of("C18"), server.ruleIdsOf(1));
        }
    }

    /**
     * An extended WRITE without PAYLOAD_LEN is served: qemu 8.2+ sends its writes that way and qemu's server reads
     * the payload by the header's length, so nbdref does the same and records C50 as a warning.
     */
    @Test
    @Verifies({"C50", "S71"})
    void writeWithoutPayloadLenIsServedAndRecorded() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (ExtendedClient c = ExtendedClient.open(server, "disk")) {
                byte[] data = new byte[4096];
                java.util.Arrays.fill(data, (byte) 0x5a);
                assertEquals(0, c.call(c.req(0, CommandType.WRITE, 0, 4096), data).error(), "the write succeeds");
                org.junit.jupiter.api.Assertions.assertArrayEquals(data, c.read(0, 4096), "the write was stored");
                c.disconnect();
            }
            assertEquals(List.of("C50"), server.ruleIdsOf(1));
        }
    }

    /** WRITE with PAYLOAD_LEN stores exactly its payload, at unaligned offsets and with FUA, and it reads back. */
    @Test
    @Verifies({"S55", "S53", "S71"})
    void writeWithPayloadLenStoresTheData() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (ExtendedClient c = ExtendedClient.open(server, "disk")) {
                byte[] a = pattern(1, 5);
                byte[] b = pattern(65537, 6);
                byte[] d = pattern(DISK - 300_000, 7);
                c.write(12345, a);
                assertSingleNone(c.call(c.writeReq(FUA, 99_999, b.length), b), "WRITE|FUA");
                c.write(300_000, d);
                assertBytes(a, c.read(12345, 1), "one byte");
                assertBytes(b, c.read(99_999, b.length), "65537 bytes");
                assertBytes(d, c.read(300_000, d.length), "to the end");
                c.disconnect();
            }
            assertEquals(List.of(), server.ruleIdsOf(1));
        }
    }

    /**
     * PAYLOAD_LEN on READ, FLUSH, TRIM, WRITE_ZEROES and CACHE (commands with no payload form): the payload is
     * consumed, then EINVAL (C19). Each payload is itself a well-formed extended FLUSH header with a foreign
     * cookie, so a server that skipped it would answer a request nobody sent.
     */
    @Test
    @Verifies({"C19", "S93", "S71"})
    void payloadLenOnCommandsWithoutAPayloadIsConsumedThenEinval() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (ExtendedClient c = ExtendedClient.open(server, "disk")) {
                byte[] decoy = new Request(0, CommandType.FLUSH.value, 0xDEC0DEL, 0, 0).encodeExtended();
                for (CommandType t : List.of(CommandType.READ, CommandType.FLUSH, CommandType.TRIM,
                        CommandType.WRITE_ZEROES, CommandType.CACHE)) {
                    Request r = new Request(PAYLOAD_LEN, t.value, c.cookie(), 0, decoy.length);
                    assertSingleError(c.call(r, decoy), EINVAL, t + " with PAYLOAD_LEN");
                    c.assertUsable();
                }
                byte[] big = NegotiationSupport.cat(pattern(100_000, 8), decoy);
                assertSingleError(c.call(new Request(PAYLOAD_LEN, CommandType.READ.value, c.cookie(), 0, big.length),
                        big), EINVAL, "READ with a 100 KB payload");
                c.assertUsable();
                c.disconnect();
            }
            assertEquals(List.of("C19", "C19", "C19", "C19", "C19", "C19"), server.ruleIdsOf(1));
        }
    }

    /** A PAYLOAD_LEN WRITE one byte over the default 32 MiB maximum payload is C28: hard disconnect, no reply. */
    @Test
    @Verifies({"C28", "S93"})
    void payloadOverTheMaximumDisconnects() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (ExtendedClient c = ExtendedClient.open(server, "disk")) {
                c.send(c.writeReq(0, 0, (32 << 20) + 1));
                c.raw.assertClosedByServer();
            }
            try (ExtendedClient c = ExtendedClient.open(server, "disk")) {
                c.send(c.req(PAYLOAD_LEN, CommandType.READ, 0, 1L << 40));
                c.raw.assertClosedByServer();
            }
            assertEquals(List.of("C28"), server.ruleIdsOf(1));
            assertEquals(List.of("C28"), server.ruleIdsOf(2));
        }
    }

    /**
     * A PAYLOAD_LEN length is an unsigned 64-bit value: 2^63 + 4096, 2^64 - 2^32 + 16 and 2^64 - 1 are all far over
     * the maximum payload, so each is C28 and a hard disconnect. The header is followed by as many bytes as the
     * low 32 bits of the length say, so a server that truncated the length would read them and answer instead.
     */
    @Test
    @Verifies({"C28", "S93"})
    void payloadLengthsWithTheTopBitSetAreOverTheMaximum() throws Exception {
        long[] lengths = {0x8000_0000_0000_1000L, 0xFFFF_FFFF_0000_0010L, -1L};
        List<Executable> checks = new ArrayList<>();
        try (TestServer server = TestServer.standard()) {
            for (int i = 0; i < lengths.length; i++) {
                long length = lengths[i];
                int connection = i + 1;
                String what = "PAYLOAD_LEN WRITE of 0x" + Long.toHexString(length) + " bytes";
                try (ExtendedClient c = ExtendedClient.open(server, "disk")) {
                    int low = (int) Math.min(Integer.toUnsignedLong((int) length), 8192);
                    c.send(c.req(PAYLOAD_LEN, CommandType.WRITE, 0, length), pattern(low, 11));
                    String reaction = reactionTo(c);
                    checks.add(() -> assertEquals("hard disconnect", reaction, what));
                }
                List<String> rules = server.ruleIdsOf(connection);
                checks.add(() -> assertEquals(List.of("C28"), rules, what));
            }
        }
        assertAll(checks);
    }

    /** What the server did next: closed the connection, or sent a reply (described). */
    private static String reactionTo(ExtendedClient c) {
        try {
            Chunk ch = c.readChunk();
            return "a reply chunk instead: " + ch + (ch.type() == ReplyType.ERROR.value
                    ? " (error " + ch.body().getInt() + ")" : "");
        } catch (EOFException | SocketException e) {
            return "hard disconnect";
        } catch (IOException | AssertionError e) {
            return "no reply and no disconnect: " + e;
        }
    }

    /**
     * Effect lengths use all 64 bits: READ, TRIM, WRITE_ZEROES and CACHE with length 2^64 - 1, or with an offset
     * whose sum with the length wraps, are refused (C26) with EINVAL, or ENOSPC for WRITE_ZEROES as for any write
     * past the end, and the connection stays usable.
     */
    @Test
    @Verifies({"C26", "S80", "S82"})
    void wrappingEffectLengthsAreEinval() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (ExtendedClient c = ExtendedClient.open(server, "disk")) {
                for (CommandType t : List.of(CommandType.READ, CommandType.TRIM, CommandType.WRITE_ZEROES,
                        CommandType.CACHE)) {
                    int expected = t == CommandType.WRITE_ZEROES ? ENOSPC : EINVAL;
                    assertSingleError(c.call(c.req(t, 0, -1L)), expected, t + " of 2^64 - 1 bytes");
                    assertSingleError(c.call(c.req(t, -4096L, 8192)), expected, t + " wrapping past 2^64");
                }
                c.assertUsable();
                c.disconnect();
            }
            assertEquals(8, server.ruleIdsOf(1).size(), "C26 each time: " + server.ruleIdsOf(1));
            assertTrue(server.ruleIdsOf(1).stream().allMatch("C26"::equals), server.ruleIdsOf(1).toString());
        }
    }

    /**
     * A READ with DF (SEND_DF is advertised with extended headers) over data and a hole is one OFFSET_DATA chunk
     * with DONE, whose header echoes the request offset and whose payload holds the whole range.
     */
    @Test
    @Verifies({"S50", "S71", "S62"})
    void dfReadIsOneExtendedDataChunk() throws Exception {
        try (TestServer server = TestServer.standard();
             ExtendedClient c = ExtendedClient.open(server, "disk")) {
            assertTrue(c.advertised(TransmissionFlag.SEND_DF), "SEND_DF with extended headers");
            byte[] d = pattern(4096, 12);
            c.write(65536, d);
            Reply rep = c.call(c.req(CommandFlag.DF.bit, CommandType.READ, 65536 - 100, 200_000));
            assertEquals(0, rep.error());
            assertEquals(1, rep.chunks().size(), "one chunk: " + rep.chunks());
            assertEquals(ReplyType.OFFSET_DATA.value, rep.chunks().get(0).type());
            byte[] expected = new byte[200_000];
            System.arraycopy(d, 0, expected, 100, d.length);
            assertBytes(expected, rep.data(), "DF data");
            c.disconnect();
        }
    }

    /**
     * With an advertised maximum payload of 64 KiB, a payload of exactly 64 KiB is accepted (WRITE, and a READ with
     * PAYLOAD_LEN fails only with EINVAL), a 192 KiB READ is split into data chunks of at most 64 KiB, and a
     * 64 KiB + 1 payload is a hard disconnect.
     */
    @Test
    @Verifies({"C28", "S93", "S78", "S45"})
    void payloadLimitFollowsTheAdvertisedMaximum() throws Exception {
        SizeConstraints sizes = new SizeConstraints(1, 4096, 65536);
        try (TestServer server = new TestServer(List.of(new Export("disk", null, new MemoryDevice(DISK), false)),
                cfg -> cfg.withSizes(sizes))) {
            try (RawClient raw = server.connect()) {
                raw.handshake();
                ExtendedClient.extendedHeaders(raw);
                try (ExtendedClient c = ExtendedClient.enter(raw, "disk", Map.of(), InfoType.BLOCK_SIZE.value)) {
                    byte[] max = pattern(65536, 9);
                    c.write(4096, max);
                    assertBytes(max, c.read(4096, 65536), "64 KiB payload");
                    byte[] more = pattern(3 * 65536, 13);
                    for (int i = 0; i < 3; i++) {
                        c.write(200_000 + 65536L * i, Arrays.copyOfRange(more, 65536 * i, 65536 * (i + 1)));
                    }
                    Reply big = c.call(c.req(CommandType.READ, 200_000, more.length));
                    assertBytes(more, big.data(), "a READ longer than the maximum payload, split into chunks");
                    for (Chunk ch : big.ofType(ReplyType.OFFSET_DATA)) {
                        assertTrue(ch.payload().length - 8 <= 65536, "S45: OFFSET_DATA of " + (ch.payload().length - 8)
                                + " bytes with a 64 KiB maximum payload");
                    }
                    assertSingleError(c.call(c.req(PAYLOAD_LEN, CommandType.READ, 0, 65536), max), EINVAL,
                            "READ with a 64 KiB payload");
                    c.assertUsable();
                    c.send(c.writeReq(0, 0, 65537));
                    c.raw.assertClosedByServer();
                }
            }
            assertEquals(List.of("C19", "C28"), server.ruleIdsOf(1));
        }
    }

    /**
     * Without extended headers PAYLOAD_LEN is a gated flag (C20): a compact READ or WRITE carrying it fails with
     * EINVAL (the WRITE's payload is consumed, as the compact format always sends it) and the stream stays in sync.
     */
    @Test
    @Verifies({"C20"})
    void payloadLenWithCompactHeadersIsEinval() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (TransmissionClient t = TransmissionClient.open(server, "disk", TransmissionClient.Mode.STRUCTURED)) {
                assertEquals(EINVAL, t.errorOf(t.req(PAYLOAD_LEN, CommandType.READ, 0, 4096)), "READ");
                byte[] data = pattern(4096, 10);
                assertEquals(EINVAL, t.errorOf(t.req(PAYLOAD_LEN, CommandType.WRITE, 0, data.length), data), "WRITE");
                t.assertUsable();
                assertZeroes(t.read(0, 4096), "the refused WRITE stored nothing");
                t.disconnect();
            }
            assertEquals(List.of("C20", "C20"), server.ruleIdsOf(1));
        }
    }

    /** Simple-reply clients too: PAYLOAD_LEN on a compact FLUSH is EINVAL in a 16-byte simple reply (C20). */
    @Test
    @Verifies({"C20", "S40"})
    void payloadLenWithSimpleRepliesIsEinval() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (TransmissionClient t = TransmissionClient.open(server, "disk", TransmissionClient.Mode.SIMPLE)) {
                TransmissionClient.Reply rep = t.call(t.req(PAYLOAD_LEN, CommandType.FLUSH, 0, 0));
                assertTrue(rep.simple(), "simple reply");
                assertEquals(EINVAL, rep.error());
                t.assertUsable();
                t.disconnect();
            }
            assertEquals(List.of("C20"), server.ruleIdsOf(1));
        }
    }

    /**
     * On the read-only export a PAYLOAD_LEN WRITE is EPERM after its payload is consumed, TRIM and WRITE_ZEROES are
     * EPERM too, each as one ERROR chunk echoing the offset; the stream stays in sync.
     */
    @Test
    @Verifies({"S56", "S71", "C35", "C22"})
    void readOnlyRefusalsAreErrorChunks() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (ExtendedClient c = ExtendedClient.open(server, "ro")) {
                byte[] decoy = new Request(0, CommandType.FLUSH.value, 0xDEC0DEL, 0, 0).encodeExtended();
                assertSingleError(c.call(c.writeReq(0, 512, decoy.length), decoy), 1, "WRITE on ro");
                assertSingleError(c.call(c.req(CommandType.TRIM, 1024, 4096)), 1, "TRIM on ro");
                assertSingleError(c.call(c.req(CommandType.WRITE_ZEROES, 2048, 4096)), 1, "WRITE_ZEROES on ro");
                c.assertUsable();
                c.disconnect();
            }
            assertEquals(List.of("C35", "C22", "C22"), server.ruleIdsOf(1));
        }
    }

    /**
     * Four 8 MiB READs in flight at once, each answered in several chunks that may interleave with the others':
     * every chunk carries its own request's cookie and offset, and each reply reassembles to the right bytes.
     */
    @Test
    @Verifies({"S71", "S39", "S42", "S48"})
    void interleavedMultiChunkReadsEchoTheirOwnOffsets() throws Exception {
        int size = 24 * MIB;
        try (TestServer server = new TestServer(List.of(new Export("big", null, new MemoryDevice(size), false)));
             ExtendedClient c = ExtendedClient.open(server, "big")) {
            byte[] model = new byte[size];
            for (int i = 0; i < 5; i++) {
                byte[] d = pattern(4 * MIB, 20 + i);
                c.write((long) i * 4 * MIB + 12345, d);
                System.arraycopy(d, 0, model, i * 4 * MIB + 12345, d.length);
            }
            Map<Long, Request> sent = new LinkedHashMap<>();
            long[] offsets = {0, 3 * MIB + 7, 9 * MIB + 512, 15 * MIB + 1};
            for (long off : offsets) {
                Request r = c.req(CommandType.READ, off, 8 * MIB);
                sent.put(r.cookie(), r);
                c.send(r);
            }
            Map<Long, Reply> replies = c.readReplies(sent); // decode() checks each chunk's cookie and offset
            for (Reply rep : replies.values()) {
                Request r = sent.get(rep.cookie());
                assertEquals(0, rep.error(), "READ at " + r.offset());
                assertTrue(rep.chunks().size() >= 2, "8 MiB takes more than one chunk: " + rep.chunks());
                byte[] expected = Arrays.copyOfRange(model, (int) r.offset(), (int) (r.offset() + r.length()));
                assertBytes(expected, rep.data(), "READ at " + r.offset());
            }
            c.disconnect();
        }
    }

    /** The 32-byte header of a zero-length READ and a zero-length WRITE still frame correctly (one NONE chunk each). */
    @Test
    @Verifies({"S83", "S71", "C30"})
    void zeroLengthRequestsGetANoneChunk() throws Exception {
        try (TestServer server = TestServer.standard();
             ExtendedClient c = ExtendedClient.open(server, "disk")) {
            assertSingleNone(c.call(c.req(CommandType.READ, 4096, 0)), "READ of 0 bytes");
            assertSingleNone(c.call(c.req(CommandType.TRIM, 4096, 0)), "TRIM of 0 bytes");
            c.assertUsable();
            c.disconnect();
        }
    }
}
