package dev.nbdref.wire;

import dev.nbdref.spec.ReplyType;
import dev.nbdref.testing.Verifies;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TransmissionCodecTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void compactRequestRoundTrips() {
        Request r = new Request(0x1, 1, 0xdeadbeefcafef00dL, 1L << 40, 0xFFFFFFFFL);
        byte[] b = r.encodeCompact();
        assertEquals(28, b.length);
        assertEquals("25609513" + "0001" + "0001" + "deadbeefcafef00d" + "0000010000000000" + "ffffffff", HEX.formatHex(b));
        assertEquals(r, Request.decodeCompact(b));
    }

    @Test
    void extendedRequestRoundTrips() {
        Request r = new Request(0x20, 1, 7, 512, 1L << 33);
        byte[] b = r.encodeExtended();
        assertEquals(32, b.length);
        assertEquals(r, Request.decodeExtended(b));
    }

    @Test
    void endSaturatesOnUnsignedOverflow() {
        assertEquals(Long.MAX_VALUE, new Request(0, 0, 0, -512, 1024).end());
        assertEquals(1536, new Request(0, 0, 0, 512, 1024).end());
    }

    @Test
    @Verifies("S39")
    void simpleReplyEchoesCookie() {
        assertEquals("67446698" + "00000016" + "0102030405060708",
                HEX.formatHex(bytes(ReplyEncoder.simple(0x0102030405060708L, 22))));
    }

    @Test
    @Verifies({"S42", "S39"})
    void noneChunkIsDoneWithZeroLength() {
        byte[] b = concat(ReplyEncoder.structured(9, true, new ReplyChunk.None()));
        assertEquals("668e33ef" + "0001" + "0000" + "0000000000000009" + "00000000", HEX.formatHex(b));
    }

    @Test
    @Verifies("S48")
    void offsetDataAndHoleLayouts() {
        byte[] d = concat(ReplyEncoder.structured(1, false,
                new ReplyChunk.OffsetData(4096, ByteBuffer.wrap(new byte[] {1, 2, 3}))));
        assertEquals("668e33ef" + "0000" + "0001" + "0000000000000001" + "0000000b" + "0000000000001000" + "010203",
                HEX.formatHex(d));
        byte[] h = concat(ReplyEncoder.structured(1, true, new ReplyChunk.OffsetHole(0, 0xFFFFFFFF)));
        assertEquals("668e33ef" + "0001" + "0002" + "0000000000000001" + "0000000c" + "0000000000000000" + "ffffffff",
                HEX.formatHex(h));
        assertThrows(IllegalArgumentException.class, () -> new ReplyChunk.OffsetHole(0, 0));
    }

    @Test
    @Verifies({"S46", "S64"})
    void blockStatusAndErrorLayouts() {
        byte[] s = concat(ReplyEncoder.structured(2, true, new ReplyChunk.BlockStatus(5,
                List.of(new ReplyChunk.Descriptor(512, 3), new ReplyChunk.Descriptor(0xFFFFFFFFL, 0)))));
        assertEquals("668e33ef" + "0001" + "0005" + "0000000000000002" + "00000014" + "00000005"
                + "00000200" + "00000003" + "ffffffff" + "00000000", HEX.formatHex(s));
        byte[] e = concat(ReplyEncoder.structured(2, true, new ReplyChunk.Error(22, "bad")));
        assertEquals("668e33ef" + "0001" + "8001" + "0000000000000002" + "00000009" + "00000016" + "0003" + "626164",
                HEX.formatHex(e));
        byte[] eo = concat(ReplyEncoder.structured(2, true, new ReplyChunk.ErrorOffset(5, "", 512)));
        assertEquals("668e33ef" + "0001" + "8002" + "0000000000000002" + "0000000e" + "00000005" + "0000"
                + "0000000000000200", HEX.formatHex(eo));
        assertThrows(IllegalArgumentException.class, () -> new ReplyChunk.BlockStatus(0, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new ReplyChunk.Descriptor(0, 0));
    }

    @Test
    @Verifies("S46")
    void errorMessagesAreCappedAtTheStringLimit() {
        String big = "x".repeat(5000);
        assertEquals(6 + 4096, new ReplyChunk.Error(5, big).payloadLength());
        byte[] e = concat(ReplyEncoder.structured(1, true, new ReplyChunk.Error(5, big)));
        assertEquals(20 + 6 + 4096, e.length);
    }

    @Test
    void errorChunkTypesHaveBit15() {
        assertEquals(true, ReplyType.ERROR.isError());
        assertEquals(false, ReplyType.OFFSET_HOLE.isError());
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static byte[] concat(ByteBuffer[] parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuffer p : parts) out.writeBytes(bytes(p));
        return out.toByteArray();
    }
}
