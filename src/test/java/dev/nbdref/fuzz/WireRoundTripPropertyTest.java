package dev.nbdref.fuzz;

import dev.nbdref.spec.Magic;
import dev.nbdref.spec.ReplyType;
import dev.nbdref.wire.BlockStatusPayload;
import dev.nbdref.wire.ExportNameReply;
import dev.nbdref.wire.Greeting;
import dev.nbdref.wire.InfoBlock;
import dev.nbdref.wire.InfoRequest;
import dev.nbdref.wire.MetaContextRequest;
import dev.nbdref.wire.OptionHeader;
import dev.nbdref.wire.OptionReply;
import dev.nbdref.wire.ReplyChunk;
import dev.nbdref.wire.ReplyEncoder;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

/**
 * Codec round trips for every message type of {@code dev.nbdref.wire}: decode(encode(m)) equals m (for the
 * messages only the server encodes, a client-side decoder written here from the spec's layouts reads them back);
 * and the decode-or-reject law for arbitrary and for nearly valid byte strings: InfoRequest, MetaContextRequest,
 * BlockStatusPayload, OptionHeader and Request either decode to a message that encodes to the very same bytes,
 * or are rejected with a {@link dev.nbdref.wire.WireFormatException} naming a known rule. Fixed seeds.
 */
class WireRoundTripPropertyTest {
    private static final long SEED = 0x31BE_C0DEL;

    // ---------------------------------------------------------------- generators

    /** Code points that UTF-8 encodes and decodes losslessly: no NUL, no surrogates; all four lengths. */
    private static Gen<Integer> codePoints() {
        return Generate.frequency(List.of(Pair.of(6, Generate.range(1, 0x7f)), Pair.of(2, Generate.range(0x80, 0x7ff)),
                Pair.of(2, Generate.range(0x800, 0xd7ff)), Pair.of(1, Generate.range(0xe000, 0xffff)),
                Pair.of(1, Generate.range(0x10000, 0x10ffff))));
    }

    /** Strings of at most {@code maxCodePoints} characters that also fit the spec's 4096-byte limit. */
    static Gen<String> strings(int maxCodePoints) {
        return Generate.intArrays(Generate.range(0, maxCodePoints), codePoints())
                .map(cps -> new String(cps, 0, cps.length))
                .map(s -> s.getBytes(StandardCharsets.UTF_8).length <= 4096 ? s : s.substring(0, 1000));
    }

    private static Gen<Integer> u16() { return Generate.range(0, 0xffff); }

    private static Gen<Long> u32() { return longs().between(0, 0xffff_ffffL); }

    private static Gen<Long> anyLong() { return longs().all(); }

    // ---------------------------------------------------------------- client messages (decoded by the server)

    @Test
    void infoRequests() {
        qt().withFixedSeed(SEED).withExamples(300)
                .forAll(strings(40), lists().of(u16()).ofSizeBetween(0, 20))
                .checkAssert((name, types) -> {
                    InfoRequest m = new InfoRequest(name, types);
                    assertEquals(m, decode(() -> InfoRequest.decode(m.encode())));
                });
    }

    @Test
    void metaContextRequests() {
        qt().withFixedSeed(SEED).withExamples(300)
                .forAll(strings(40), lists().of(strings(30)).ofSizeBetween(0, 8))
                .checkAssert((name, queries) -> {
                    MetaContextRequest m = new MetaContextRequest(name, queries);
                    assertEquals(m, decode(() -> MetaContextRequest.decode(m.encode())));
                });
    }

    @Test
    void blockStatusPayloads() {
        qt().withFixedSeed(SEED).withExamples(300)
                .forAll(anyLong(), lists().of(integers().all()).ofSizeBetween(1, 20))
                .checkAssert((effect, ids) -> {
                    BlockStatusPayload m = new BlockStatusPayload(effect, ids);
                    assertEquals(m, decode(() -> BlockStatusPayload.decode(ByteBuffer.wrap(m.encode()))));
                });
    }

    @Test
    void optionHeaders() {
        qt().withFixedSeed(SEED).withExamples(300)
                .forAll(integers().all(), Generate.byteArrays(Generate.range(0, 300), Generate.bytes((byte) -128, (byte) 127, (byte) 0)))
                .checkAssert((option, payload) -> {
                    byte[] wire = OptionHeader.encode(option, payload);
                    OptionHeader h = OptionHeader.decode(wire);
                    assertTrue(h.hasValidMagic());
                    assertEquals(option, h.option());
                    assertEquals(payload.length, h.length());
                    assertArrayEquals(payload, Arrays.copyOfRange(wire, OptionHeader.SIZE, wire.length));
                });
    }

    @Test
    void compactAndExtendedRequests() {
        qt().withFixedSeed(SEED).withExamples(500)
                .forAll(integers().all(), anyLong(), anyLong(), anyLong())
                .checkAssert((flagsAndType, cookie, offset, length) -> {
                    int flags = flagsAndType >>> 16;
                    int type = flagsAndType & 0xffff;
                    Request compact = new Request(flags, type, cookie, offset, length & 0xffff_ffffL);
                    assertEquals(compact, Request.decodeCompact(compact.encodeCompact()));
                    Request extended = new Request(flags, type, cookie, offset, length);
                    assertEquals(extended, Request.decodeExtended(extended.encodeExtended()));
                });
    }

    @Test
    void greetings() {
        qt().withFixedSeed(SEED).withExamples(200).forAll(u16())
                .checkAssert(flags -> assertEquals(new Greeting(flags), decode(() -> Greeting.decode(new Greeting(flags).encode()))));
    }

    // ---------------------------------------------------------------- server messages (decoded here, as a client would)

    @Test
    void optionReplies() {
        qt().withFixedSeed(SEED).withExamples(300)
                .forAll(integers().all(), integers().all(), Generate.byteArrays(Generate.range(0, 300), Generate.bytes((byte) -128, (byte) 127, (byte) 0)))
                .checkAssert((option, type, payload) -> {
                    byte[] wire = new OptionReply(option, type, payload).encode();
                    OptionReply.Header h = decode(() -> OptionReply.decodeHeader(wire));
                    assertEquals(new OptionReply.Header(option, type, payload.length), h);
                    assertArrayEquals(payload, Arrays.copyOfRange(wire, OptionReply.HEADER_SIZE, wire.length));
                });
    }

    @Test
    void serverAndMetaContextReplies() {
        qt().withFixedSeed(SEED).withExamples(300)
                .forAll(strings(40), strings(60), integers().all())
                .checkAssert((name, details, id) -> {
                    ByteBuffer s = ByteBuffer.wrap(OptionReply.server(3, name, details).payload());
                    byte[] n = new byte[s.getInt()];
                    s.get(n);
                    byte[] d = new byte[s.remaining()];
                    s.get(d);
                    assertEquals(name, new String(n, StandardCharsets.UTF_8));
                    assertEquals(details, new String(d, StandardCharsets.UTF_8));
                    ByteBuffer m = ByteBuffer.wrap(OptionReply.metaContext(10, id, name).payload());
                    assertEquals(id, m.getInt());
                    assertEquals(name, StandardCharsets.UTF_8.decode(m).toString());
                });
    }

    @Test
    void infoBlocks() {
        qt().withFixedSeed(SEED).withExamples(300)
                .forAll(anyLong(), u16(), strings(50), integers().all())
                .checkAssert((size, flags, text, n) -> {
                    List<InfoBlock> blocks = List.of(new InfoBlock.Export(size, flags), new InfoBlock.Name(text),
                            new InfoBlock.Description(text), new InfoBlock.BlockSize(n, n >>> 1, n ^ 0x5555));
                    for (InfoBlock b : blocks) assertEquals(b, decodeInfo(OptionReply.info(6, b).payload()));
                });
    }

    @Test
    void exportNameReplies() {
        qt().withFixedSeed(SEED).withExamples(200)
                .forAll(anyLong(), u16(), Generate.booleans())
                .checkAssert((size, flags, noZeroes) -> {
                    byte[] wire = new ExportNameReply(size, flags, noZeroes).encode();
                    assertEquals(noZeroes ? 10 : 134, wire.length);
                    ByteBuffer b = ByteBuffer.wrap(wire);
                    assertEquals(new ExportNameReply(size, flags, noZeroes),
                            new ExportNameReply(b.getLong(), Short.toUnsignedInt(b.getShort()), !b.hasRemaining()));
                    while (b.hasRemaining()) assertEquals(0, b.get());
                });
    }

    @Test
    void simpleReplies() {
        qt().withFixedSeed(SEED).withExamples(200).forAll(anyLong(), integers().all())
                .checkAssert((cookie, error) -> {
                    ByteBuffer b = ReplyEncoder.simple(cookie, error);
                    assertEquals(Magic.SIMPLE_REPLY, b.getInt());
                    assertEquals(error, b.getInt());
                    assertEquals(cookie, b.getLong());
                    assertTrue(!b.hasRemaining());
                });
    }

    /** A reply chunk as decoded from the wire. */
    record Decoded(long cookie, boolean done, long offset, ReplyChunk chunk) {}

    private static Gen<ReplyChunk> chunks() {
        Gen<ReplyChunk.Descriptor> descriptor = u32().zip(integers().all(), (len, f) -> new ReplyChunk.Descriptor(Math.max(1, len), f));
        Gen<ReplyChunk> none = Generate.constant(new ReplyChunk.None());
        Gen<ReplyChunk> data = anyLong().zip(Generate.byteArrays(Generate.range(1, 200), Generate.bytes((byte) -128, (byte) 127, (byte) 0)),
                (off, bytes) -> new ReplyChunk.OffsetData(off, ByteBuffer.wrap(bytes)));
        Gen<ReplyChunk> hole = anyLong().zip(integers().between(1, Integer.MAX_VALUE), ReplyChunk.OffsetHole::new);
        Gen<ReplyChunk> status = integers().all().zip(lists().of(descriptor).ofSizeBetween(1, 10), ReplyChunk.BlockStatus::new);
        Gen<ReplyChunk> statusExt = integers().all().zip(lists().of(descriptor).ofSizeBetween(1, 10), ReplyChunk.BlockStatusExt::new);
        Gen<ReplyChunk> error = integers().all().zip(strings(60), ReplyChunk.Error::new);
        Gen<ReplyChunk> errorOffset = integers().all().zip(strings(60), anyLong(), ReplyChunk.ErrorOffset::new);
        return Generate.oneOf(none, data, hole, status, statusExt, error, errorOffset);
    }

    @Test
    void structuredAndExtendedChunks() {
        qt().withFixedSeed(SEED).withExamples(500)
                .forAll(chunks(), anyLong(), anyLong(), Generate.booleans())
                .checkAssert((chunk, cookie, offset, done) -> {
                    Decoded s = decodeChunk(concat(ReplyEncoder.structured(cookie, done, chunk)), false);
                    assertEquals(new Decoded(cookie, done, -1, normal(chunk)), normal(s));
                    Decoded x = decodeChunk(concat(ReplyEncoder.extended(cookie, offset, done, chunk)), true);
                    assertEquals(new Decoded(cookie, done, offset, normal(chunk)), normal(x));
                });
    }

    // ---------------------------------------------------------------- decode or reject

    @Test
    void everyByteStringDecodesToItselfOrIsRejected() {
        qt().withFixedSeed(SEED).withExamples(3000)
                .forAll(Generate.byteArrays(Generate.range(0, 64), Generate.bytes((byte) -128, (byte) 127, (byte) 0)))
                .checkAssert(WireFuzzTest.WireRoundTrips::checkBytes);
    }

    /** Valid encodings with one byte changed, cut short or extended: the interesting neighbourhood of valid. */
    @Test
    void nearlyValidByteStringsDecodeToThemselvesOrAreRejected() {
        Gen<byte[]> valid = Generate.oneOf(
                strings(10).zip(lists().of(Generate.range(0, 3)).ofSizeBetween(0, 4), (n, t) -> new InfoRequest(n, t).encode()),
                strings(10).zip(lists().of(strings(12)).ofSizeBetween(0, 3), (n, q) -> new MetaContextRequest(n, q).encode()),
                anyLong().zip(lists().of(Generate.range(0, 3)).ofSizeBetween(1, 3), (e, ids) -> new BlockStatusPayload(e, ids).encode()),
                u16().zip(anyLong(), (t, off) -> new Request(1, t, 7, off, 512).encodeExtended()));
        qt().withFixedSeed(SEED).withExamples(3000)
                .forAll(valid, Generate.range(0, 2), integers().between(0, 1000), Generate.bytes((byte) -128, (byte) 127, (byte) 0))
                .checkAssert((bytes, how, at, value) -> WireFuzzTest.WireRoundTrips.checkBytes(mutate(bytes, how, at, value)));
    }

    private static byte[] mutate(byte[] b, int how, int at, byte value) {
        if (b.length == 0) return new byte[] {value};
        switch (how) {
            case 0: {
                byte[] c = b.clone();
                c[at % c.length] = value;
                return c;
            }
            case 1: return Arrays.copyOf(b, at % b.length);
            default: return cat(b, new byte[] {value});
        }
    }

    // ---------------------------------------------------------------- client-side decoders

    interface Decoder<T> { T decode() throws Exception; }

    private static <T> T decode(Decoder<T> d) {
        try {
            return d.decode();
        } catch (Exception e) {
            throw new AssertionError("a valid encoding was rejected: " + e, e);
        }
    }

    private static InfoBlock decodeInfo(byte[] payload) {
        ByteBuffer b = ByteBuffer.wrap(payload);
        int type = Short.toUnsignedInt(b.getShort());
        switch (type) {
            case 0: {
                InfoBlock x = new InfoBlock.Export(b.getLong(), Short.toUnsignedInt(b.getShort()));
                assertTrue(!b.hasRemaining());
                return x;
            }
            case 1: return new InfoBlock.Name(StandardCharsets.UTF_8.decode(b).toString());
            case 2: return new InfoBlock.Description(StandardCharsets.UTF_8.decode(b).toString());
            case 3: {
                InfoBlock x = new InfoBlock.BlockSize(b.getInt(), b.getInt(), b.getInt());
                assertTrue(!b.hasRemaining());
                return x;
            }
            default: throw new AssertionError("unknown info type " + type);
        }
    }

    private static Decoded decodeChunk(byte[] wire, boolean extended) {
        ByteBuffer b = ByteBuffer.wrap(wire);
        assertEquals(extended ? Magic.EXTENDED_REPLY : Magic.STRUCTURED_REPLY, b.getInt());
        int flags = Short.toUnsignedInt(b.getShort());
        int type = Short.toUnsignedInt(b.getShort());
        long cookie = b.getLong();
        long offset = extended ? b.getLong() : -1;
        long length = extended ? b.getLong() : Integer.toUnsignedLong(b.getInt());
        assertEquals(b.remaining(), length, "the length field counts the payload exactly");
        ReplyChunk chunk;
        if (type == ReplyType.NONE.value) {
            chunk = new ReplyChunk.None();
        } else if (type == ReplyType.OFFSET_DATA.value) {
            long off = b.getLong();
            byte[] data = new byte[b.remaining()];
            b.get(data);
            chunk = new ReplyChunk.OffsetData(off, ByteBuffer.wrap(data));
        } else if (type == ReplyType.OFFSET_HOLE.value) {
            chunk = new ReplyChunk.OffsetHole(b.getLong(), b.getInt());
        } else if (type == ReplyType.BLOCK_STATUS.value) {
            int id = b.getInt();
            List<ReplyChunk.Descriptor> ds = new ArrayList<>();
            while (b.hasRemaining()) ds.add(new ReplyChunk.Descriptor(Integer.toUnsignedLong(b.getInt()), b.getInt()));
            chunk = new ReplyChunk.BlockStatus(id, ds);
        } else if (type == ReplyType.BLOCK_STATUS_EXT.value) {
            int id = b.getInt();
            long count = Integer.toUnsignedLong(b.getInt());
            List<ReplyChunk.Descriptor> ds = new ArrayList<>();
            while (b.hasRemaining()) {
                long len = b.getLong();
                long st = b.getLong();
                assertEquals(0, st >>> 32, "32-bit status widened with zeroes");
                ds.add(new ReplyChunk.Descriptor(len, (int) st));
            }
            assertEquals(count, ds.size());
            chunk = new ReplyChunk.BlockStatusExt(id, ds);
        } else if (type == ReplyType.ERROR.value || type == ReplyType.ERROR_OFFSET.value) {
            int error = b.getInt();
            byte[] msg = new byte[Short.toUnsignedInt(b.getShort())];
            b.get(msg);
            String text = new String(msg, StandardCharsets.UTF_8);
            chunk = type == ReplyType.ERROR.value ? new ReplyChunk.Error(error, text)
                    : new ReplyChunk.ErrorOffset(error, text, b.getLong());
            assertTrue(!b.hasRemaining());
        } else {
            throw new AssertionError("unknown chunk type " + type);
        }
        assertEquals(type, chunk.type().value);
        return new Decoded(cookie, (flags & ReplyType.FLAG_DONE) != 0, offset, chunk);
    }

    /** OffsetData holds a ByteBuffer, which compares by remaining content; make that explicit. */
    private static ReplyChunk normal(ReplyChunk c) {
        if (c instanceof ReplyChunk.OffsetData d) {
            byte[] bytes = new byte[d.data().remaining()];
            d.data().duplicate().get(bytes);
            return new ReplyChunk.OffsetData(d.offset(), ByteBuffer.wrap(bytes));
        }
        return c;
    }

    private static Decoded normal(Decoded d) { return new Decoded(d.cookie(), d.done(), d.offset(), normal(d.chunk())); }

    private static byte[] concat(ByteBuffer[] parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuffer p : parts) {
            byte[] b = new byte[p.remaining()];
            p.duplicate().get(b);
            out.writeBytes(b);
        }
        return out.toByteArray();
    }

    private static byte[] cat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
