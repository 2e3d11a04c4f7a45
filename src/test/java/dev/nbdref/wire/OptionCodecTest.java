package dev.nbdref.wire;

import dev.nbdref.spec.Magic;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.testing.Verifies;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class OptionCodecTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    @Verifies({"S01", "S02"})
    void greetingIsEighteenBytesWithBothMagicsAndFlags() throws Exception {
        byte[] g = new Greeting(0x3).encode();
        assertEquals("4e42444d41474943" + "49484156454f5054" + "0003", HEX.formatHex(g));
        assertEquals(new Greeting(3), Greeting.decode(g));
    }

    @Test
    void optionHeaderDecodesUnsignedLength() {
        byte[] bytes = ByteBuffer.allocate(16).putLong(Magic.IHAVEOPT).putInt(7).putInt(0xFFFFFFF0).array();
        OptionHeader h = OptionHeader.decode(bytes);
        assertEquals(7, h.option());
        assertEquals(0xFFFFFFF0L, h.length());
        assertEquals(true, h.hasValidMagic());
    }

    @Test
    @Verifies("S06")
    void optionReplyHasMagicOptionTypeLength() {
        byte[] r = OptionReply.error(OptionType.LIST.value, OptionReplyType.ERR_INVALID, "no").encode();
        assertEquals("0003e889045565a9" + "00000003" + "80000003" + "00000002" + "6e6f", HEX.formatHex(r));
    }

    @Test
    void serverReplyCarriesNameLengthNameAndDetails() {
        byte[] p = OptionReply.server(3, "disk", "d").payload();
        assertEquals("00000004" + "6469736b" + "64", HEX.formatHex(p));
    }

    @Test
    @Verifies("S15")
    void infoBlocksHaveTheirFixedLengths() {
        assertEquals(12, new InfoBlock.Export(1L << 40, 0x1).encode().length);
        assertEquals(14, new InfoBlock.BlockSize(1, 4096, 1 << 25).encode().length);
        assertEquals("0000" + "0000010000000000" + "0001", HEX.formatHex(new InfoBlock.Export(1L << 40, 1).encode()));
        assertEquals("0001" + "6162", HEX.formatHex(new InfoBlock.Name("ab").encode()));
    }

    @Test
    @Verifies("S04")
    void exportNameReplyPadsUnlessNoZeroes() {
        assertEquals(134, new ExportNameReply(1, 1, false).encode().length);
        assertEquals(10, new ExportNameReply(1, 1, true).encode().length);
    }

    @Test
    void infoRequestRoundTrips() throws Exception {
        InfoRequest r = new InfoRequest("disk", List.of(1, 3));
        assertEquals(r, InfoRequest.decode(r.encode()));
        assertEquals(-1, r.firstDuplicate());
        assertEquals(3, new InfoRequest("", List.of(3, 1, 3)).firstDuplicate());
    }

    @Test
    @Verifies({"C07", "S11"})
    void infoRequestWithNameLongerThanOptionIsRejected() {
        byte[] p = ByteBuffer.allocate(6).putInt(1).putShort((short) 0).array();
        WireFormatException e = assertThrows(WireFormatException.class, () -> InfoRequest.decode(p));
        assertEquals("C07", e.requirementId());
        assertThrows(WireFormatException.class, () -> InfoRequest.decode(new byte[5]));
    }

    @Test
    @Verifies("C07")
    void infoRequestCountMustMatchTheRemainingBytes() {
        byte[] tooFew = ByteBuffer.allocate(8).putInt(0).putShort((short) 2).putShort((short) 1).array();
        byte[] extra = ByteBuffer.allocate(9).putInt(0).putShort((short) 1).putShort((short) 1).put((byte) 0).array();
        assertThrows(WireFormatException.class, () -> InfoRequest.decode(tooFew));
        assertThrows(WireFormatException.class, () -> InfoRequest.decode(extra));
    }

    @Test
    void metaContextRequestRoundTrips() throws Exception {
        MetaContextRequest r = new MetaContextRequest("x", List.of("base:allocation", "qemu:"));
        assertEquals(r, MetaContextRequest.decode(r.encode()));
    }

    @Test
    @Verifies("S11")
    void metaContextQueryRunningPastTheOptionIsRejected() {
        byte[] p = ByteBuffer.allocate(12).putInt(0).putInt(1).putInt(100).array();
        assertThrows(WireFormatException.class, () -> MetaContextRequest.decode(p));
    }

    @Test
    @Verifies("S11")
    void hugeQueryCountIsRejectedWithoutAllocating() {
        byte[] p = ByteBuffer.allocate(8).putInt(0).putInt(0x7FFFFFFF).array();
        assertThrows(WireFormatException.class, () -> MetaContextRequest.decode(p));
    }

    @Test
    @Verifies("C09")
    void stringsRejectNulInvalidUtf8AndOverlongText() {
        assertThrows(WireFormatException.class, () -> WireStrings.decode(new byte[] {'a', 0}, "name"));
        assertThrows(WireFormatException.class, () -> WireStrings.decode(new byte[] {(byte) 0xC3}, "name"));
        assertThrows(WireFormatException.class, () -> WireStrings.decode(new byte[4097], "name"));
    }

    @Test
    void replyHeaderDecodesWhatWasEncoded() throws Exception {
        byte[] r = OptionReply.ack(7).encode();
        OptionReply.Header h = OptionReply.decodeHeader(r);
        assertEquals(new OptionReply.Header(7, 1, 0), h);
        assertArrayEquals(r, new OptionReply(7, 1, new byte[0]).encode());
    }
}
