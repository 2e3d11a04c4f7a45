package dev.nbdref.server;

import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.InfoType;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.spec.ReplyType;
import dev.nbdref.wire.OptionReply;
import dev.nbdref.wire.Request;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Shared helpers of the Negotiation* tests: raw payload builders and exact assertions on option
 * replies. It holds no tests itself.
 */
final class NegotiationSupport {
    private NegotiationSupport() {}

    static final HexFormat HEX = HexFormat.of();
    static final int UNKNOWN_OPTION = 0x7654321;
    static final long DISK_SIZE = 1 << 20;

    /** Transmission flags of the writable "disk" export without structured replies (S62). */
    static final int DISK_FLAGS = 0x0001 /* HAS_FLAGS */ | 0x0004 /* SEND_FLUSH */ | 0x0008 /* SEND_FUA */
            | 0x0020 /* SEND_TRIM */ | 0x0040 /* SEND_WRITE_ZEROES */ | 0x0100 /* CAN_MULTI_CONN */
            | 0x0400 /* SEND_CACHE */ | 0x0800 /* SEND_FAST_ZERO */;
    /** Transmission flags of the read-only "ro" export without structured replies (S62). */
    static final int RO_FLAGS = 0x0001 /* HAS_FLAGS */ | 0x0002 /* READ_ONLY */ | 0x0004 /* SEND_FLUSH */
            | 0x0008 /* SEND_FUA */ | 0x0100 /* CAN_MULTI_CONN */ | 0x0400 /* SEND_CACHE */;
    static final int SEND_DF = 0x0080;

    static final int INFO_EXPORT = InfoType.EXPORT.value;
    static final int INFO_NAME = InfoType.NAME.value;
    static final int INFO_DESCRIPTION = InfoType.DESCRIPTION.value;
    static final int INFO_BLOCK_SIZE = InfoType.BLOCK_SIZE.value;

    // ---------------------------------------------------------------- payload builders

    static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    static byte[] bytes(int n, byte fill) {
        byte[] b = new byte[n];
        Arrays.fill(b, fill);
        return b;
    }

    /** Concatenation of byte arrays. */
    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }

    static byte[] u32(long v) { return ByteBuffer.allocate(4).putInt((int) v).array(); }

    static byte[] u16(int v) { return ByteBuffer.allocate(2).putShort((short) v).array(); }

    /** INFO/GO payload from raw name bytes: u32 namelen, name, u16 n, n x u16 (well-formed). */
    static byte[] info(byte[] name, int... types) {
        ByteBuffer b = ByteBuffer.allocate(4 + name.length + 2 + 2 * types.length);
        b.putInt(name.length).put(name).putShort((short) types.length);
        for (int t : types) b.putShort((short) t);
        return b.array();
    }

    static byte[] info(String name, int... types) { return info(utf8(name), types); }

    /** LIST/SET_META_CONTEXT payload from raw bytes: u32 namelen, name, u32 nq, nq x (u32 len, query). */
    static byte[] meta(byte[] name, byte[]... queries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(cat(u32(name.length), name, u32(queries.length)));
        for (byte[] q : queries) {
            out.writeBytes(u32(q.length));
            out.writeBytes(q);
        }
        return out.toByteArray();
    }

    static byte[] meta(String name, String... queries) {
        byte[][] qs = new byte[queries.length][];
        for (int i = 0; i < queries.length; i++) qs[i] = utf8(queries[i]);
        return meta(utf8(name), qs);
    }

    // ---------------------------------------------------------------- reply assertions

    /** Asserts one reply's echoed option and type; error payloads must be a valid message string (S06). */
    static OptionReply assertReply(OptionReply r, int option, OptionReplyType type) {
        assertEquals(Integer.toHexString(option), Integer.toHexString(r.option()),
                "the reply must echo the option number as sent (S06): " + describe(r));
        assertEquals(type, r.replyType(), "reply type: " + describe(r));
        if (type.isError()) assertValidString(r.payload(), "error message");
        if (type == OptionReplyType.ACK) assertEquals(0, r.payload().length, "ACK carries no data");
        return r;
    }

    static OptionReply assertReply(OptionReply r, OptionType option, OptionReplyType type) {
        return assertReply(r, option.value, type);
    }

    /** Asserts the replies are exactly one reply of the given type (typically an error or a plain ACK). */
    static void assertOnly(List<OptionReply> replies, OptionType option, OptionReplyType type) {
        assertOnly(replies, option.value, type);
    }

    /** Sends {@code option} and asserts its only reply is {@code type}. */
    static void assertOptionGets(RawClient c, OptionType option, byte[] payload, OptionReplyType type)
            throws Exception {
        assertOnly(c.option(option, payload), option, type);
    }

    static void assertOnly(List<OptionReply> replies, int option, OptionReplyType type) {
        assertEquals(1, replies.size(), "expected a single " + type + " but got " + describeAll(replies));
        assertReply(replies.get(0), option, type);
    }

    static void assertValidString(byte[] bytes, String what) {
        assertTrue(bytes.length <= 4096, what + " longer than 4096 bytes");
        for (byte b : bytes) assertFalse(b == 0, what + " contains NUL");
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException e) {
            fail(what + " is not valid UTF-8");
        }
    }

    static String describe(OptionReply r) {
        OptionReplyType t = r.replyType();
        String payload = r.payload().length <= 64 ? HEX.formatHex(r.payload()) : r.payload().length + " bytes";
        return "reply(option=0x" + Integer.toHexString(r.option()) + ", type=" + (t == null
                ? "0x" + Integer.toHexString(r.type()) : t) + ", payload=" + payload + ")";
    }

    static String describeAll(List<OptionReply> rs) {
        List<String> out = new ArrayList<>();
        for (OptionReply r : rs) out.add(describe(r));
        return out.toString();
    }

    /** The info payloads (type + body) of the REP_INFO replies, in order; asserts the last reply is the ACK. */
    static List<byte[]> infosBeforeAck(List<OptionReply> replies, OptionType option) {
        assertTrue(replies.size() >= 2, "a successful INFO/GO has at least one INFO then the ACK (S12): "
                + describeAll(replies));
        List<byte[]> infos = new ArrayList<>();
        for (int i = 0; i < replies.size() - 1; i++) {
            infos.add(assertReply(replies.get(i), option, OptionReplyType.INFO).payload());
        }
        assertReply(replies.get(replies.size() - 1), option, OptionReplyType.ACK);
        return infos;
    }

    static int infoType(byte[] info) { return Short.toUnsignedInt(ByteBuffer.wrap(info).getShort()); }

    /** The INFO payloads of a given type. */
    static List<byte[]> ofType(List<byte[]> infos, int type) {
        List<byte[]> out = new ArrayList<>();
        for (byte[] i : infos) if (infoType(i) == type) out.add(i);
        return out;
    }

    static List<Integer> types(List<byte[]> infos) {
        List<Integer> out = new ArrayList<>();
        for (byte[] i : infos) out.add(infoType(i));
        return out;
    }

    /** Asserts exactly one NBD_INFO_EXPORT, 12 bytes long, with this size and these flags; returns the flags. */
    static int assertInfoExport(List<byte[]> infos, long size, int flags) {
        List<byte[]> exports = ofType(infos, INFO_EXPORT);
        assertEquals(1, exports.size(), "exactly one NBD_INFO_EXPORT (S12, S73)");
        byte[] e = exports.get(0);
        assertEquals(12, e.length, "NBD_INFO_EXPORT is 12 bytes: type, size, flags (S12)");
        ByteBuffer b = ByteBuffer.wrap(e);
        b.getShort();
        assertEquals(size, b.getLong(), "export size");
        int got = Short.toUnsignedInt(b.getShort());
        assertEquals(Integer.toHexString(flags), Integer.toHexString(got), "transmission flags");
        return got;
    }

    /** Asserts exactly one NBD_INFO_BLOCK_SIZE: 14 bytes, with these three values (S15). */
    static void assertInfoBlockSize(List<byte[]> infos, int min, int preferred, int max) {
        List<byte[]> bs = ofType(infos, INFO_BLOCK_SIZE);
        assertEquals(1, bs.size(), "exactly one NBD_INFO_BLOCK_SIZE");
        assertEquals(14, bs.get(0).length, "NBD_INFO_BLOCK_SIZE is 14 bytes (S15)");
        ByteBuffer b = ByteBuffer.wrap(bs.get(0));
        b.getShort();
        assertEquals(min, b.getInt(), "minimum block size");
        assertEquals(preferred, b.getInt(), "preferred block size");
        assertEquals(max, b.getInt(), "maximum payload");
        assertEquals(1, Integer.bitCount(min), "minimum is a power of 2");
        assertTrue(min <= 65536, "minimum at most 64 KiB");
        assertEquals(1, Integer.bitCount(preferred), "preferred is a power of 2");
        assertTrue(preferred >= Math.max(min, 512), "preferred >= max(min, 512)");
        assertTrue(Integer.compareUnsigned(max, preferred) >= 0, "maximum payload >= preferred");
    }

    /** Asserts exactly one string info (NAME or DESCRIPTION) with this text (S73). */
    static void assertInfoString(List<byte[]> infos, int type, String text) {
        List<byte[]> s = ofType(infos, type);
        assertEquals(1, s.size(), "exactly one info of type " + type);
        assertArrayEquals(cat(u16(type), utf8(text)), s.get(0));
    }

    /** A META_CONTEXT reply's id and name. */
    record Context(int id, String name) {}

    static Context context(OptionReply r, OptionType option) {
        assertReply(r, option, OptionReplyType.META_CONTEXT);
        assertTrue(r.payload().length > 4, "META_CONTEXT carries an id and a name");
        byte[] name = Arrays.copyOfRange(r.payload(), 4, r.payload().length);
        assertValidString(name, "context name");
        return new Context(ByteBuffer.wrap(r.payload()).getInt(), new String(name, StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- session helpers

    /** What a test does on a raw connection once the handshake is done. */
    @FunctionalInterface
    interface Steps {
        void run(RawClient c) throws Exception;
    }

    /**
     * One connection to a fresh {@link TestServer#standard()}: handshake, {@code steps}, then the assertion that
     * the connection broke exactly {@code ruleIds}, in order. The check runs after the client socket is closed,
     * because the server writes a connection's report only once that connection has ended.
     */
    static void standardSession(List<String> ruleIds, Steps steps) throws Exception {
        standardSession(ruleIds, "rules recorded", steps);
    }

    static void standardSession(List<String> ruleIds, String what, Steps steps) throws Exception {
        try (TestServer s = TestServer.standard()) {
            try (RawClient c = s.connect()) {
                c.handshake();
                steps.run(c);
            }
            assertEquals(ruleIds, s.ruleIdsOf(1), what);
        }
    }

    /**
     * Sends one option that must be refused with {@code error} as its only reply, then proves the option length
     * kept the stream in sync (S11: LIST still parses) and ends with ABORT.
     */
    static void assertRefusedThenInSync(RawClient c, OptionType option, byte[] payload, OptionReplyType error)
            throws Exception {
        assertOptionGets(c, option, payload, error);
        assertListWorks(c);
        abort(c);
    }

    /** The same for an option number with no {@link OptionType}: sent raw, refused with {@code error}. */
    static void assertRefusedThenInSync(RawClient c, int option, byte[] payload, OptionReplyType error)
            throws Exception {
        c.sendOption(option, payload);
        assertOnly(c.readUntilFinal(), option, error);
        assertListWorks(c);
        abort(c);
    }

    /** Sends ABORT, asserts the ACK (S08), then that the server closes the connection. */
    static void abort(RawClient c) throws Exception {
        assertOptionGets(c, OptionType.ABORT, new byte[0], OptionReplyType.ACK);
        c.assertClosedByServer();
    }

    /** Asserts the stream is in sync by running a LIST that must list both standard exports. */
    static void assertListWorks(RawClient c) throws Exception {
        List<OptionReply> r = c.option(OptionType.LIST, new byte[0]);
        assertEquals(3, r.size(), "two SERVER replies then ACK: " + describeAll(r));
        assertReply(r.get(0), OptionType.LIST, OptionReplyType.SERVER);
        assertReply(r.get(1), OptionType.LIST, OptionReplyType.SERVER);
        assertReply(r.get(2), OptionType.LIST, OptionReplyType.ACK);
    }

    /**
     * In transmission: sends FLUSH and asserts the very next bytes are its reply (a 16-byte simple reply,
     * or with structured replies a NONE chunk), which proves nothing (no padding) preceded it (S17).
     */
    static void assertFlushAnsweredImmediately(RawClient c, boolean structured) throws Exception {
        long cookie = 0x0123456789abcdefL;
        c.request(new Request(0, CommandType.FLUSH.value, cookie, 0, 0));
        if (!structured) {
            RawClient.SimpleReply r = c.readSimpleReply();
            assertEquals(0, r.error(), "FLUSH error");
            assertEquals(cookie, r.cookie(), "cookie echoed");
        } else {
            RawClient.Chunk ch = c.readChunk();
            assertEquals(ReplyType.NONE.value, ch.type(), "chunk type");
            assertTrue(ch.done(), "NONE carries DONE");
            assertEquals(0, ch.payload().length);
            assertEquals(cookie, ch.cookie(), "cookie echoed");
        }
    }

    /** In transmission: sends DISC (magic 0x25609513, type 2), after which the server closes without reply. */
    static void disconnect(RawClient c) throws Exception {
        c.request(new Request(0, CommandType.DISC.value, 7, 0, 0));
        c.assertClosedByServer();
    }
}
