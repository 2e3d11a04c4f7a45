package dev.nbdref.server;

import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.Magic;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.spec.ReplyType;
import dev.nbdref.spec.TransmissionFlag;
import dev.nbdref.wire.OptionReply;
import dev.nbdref.wire.Request;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A transmission-phase client for connections that negotiated NBD_OPT_EXTENDED_HEADERS, on top of
 * {@link RawClient}: sends 32-byte extended requests (magic 0x21e41c71, 64-bit length, optional payload)
 * and reads 32-byte extended reply chunks (magic 0x6e8a278c, u16 flags, u16 type, u64 cookie, u64 offset,
 * u64 length, payload), checking on every chunk the framing rules the extension puts on the server: never a
 * simple or structured header (S71), cookie echoed (S39), request offset echoed in every chunk (S71), DONE on
 * exactly the last chunk (S42), no other reply flags (S44), error chunk layout (S46), chunk types and lengths
 * (S86, S87), READ chunk placement (S48), BLOCK_STATUS_EXT only, with a matching descriptor count, non-zero
 * 64-bit lengths and the top 32 status bits clear (S64, S71), and REQ_ONE answered with one descriptor (S65).
 * The checks every chunk shares with {@link TransmissionClient} live in {@link ReplyChecks}.
 */
final class ExtendedClient implements AutoCloseable, TransmissionCalls<ExtendedClient.Reply> {
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    static final int EXTENDED_REPLY_SIZE = 32;
    /** READ replies up to this length are reassembled into one array; longer ones keep only their data chunks. */
    static final long MAX_ASSEMBLED_READ = 64L << 20;

    final RawClient raw;
    final long size;
    final int transmissionFlags;
    /** Context name to the id SET_META_CONTEXT gave it (empty when none was selected). */
    final Map<String, Integer> contexts;
    private long nextCookie = 0xE11D_0000_0000_0001L;

    ExtendedClient(RawClient raw, long size, int transmissionFlags, Map<String, Integer> contexts) {
        this.raw = raw;
        this.size = size;
        this.transmissionFlags = transmissionFlags;
        this.contexts = Map.copyOf(contexts);
    }

    // ---------------------------------------------------------------- negotiation

    /** Negotiates extended headers, selects {@code contexts} on {@code export} when any are given, then GO. */
    static ExtendedClient open(TestServer server, String export, String... contexts) throws Exception {
        RawClient raw = server.connect();
        try {
            raw.handshake();
            extendedHeaders(raw);
            Map<String, Integer> ids = contexts.length == 0 ? Map.of() : setMetaContext(raw, export, contexts);
            return enter(raw, export, ids);
        } catch (Exception | Error e) {
            raw.close();
            throw e;
        }
    }

    /** Sends NBD_OPT_EXTENDED_HEADERS and asserts the single ACK. */
    static void extendedHeaders(RawClient raw) throws Exception {
        List<OptionReply> r = raw.option(OptionType.EXTENDED_HEADERS, new byte[0]);
        assertEquals(1, r.size(), "EXTENDED_HEADERS replies: " + r);
        assertEquals(OptionReplyType.ACK, r.get(0).replyType(), "EXTENDED_HEADERS reply");
        assertEquals(0, r.get(0).payload().length, "ACK carries no data");
    }

    /** SET_META_CONTEXT with these queries; asserts it ends in ACK and returns the selected name to id. */
    static Map<String, Integer> setMetaContext(RawClient raw, String export, String... queries) throws Exception {
        return raw.setMetaContext(export, queries);
    }

    /** GO to {@code export} (asserting success) and wraps the connection; {@code contexts} as selected before. */
    static ExtendedClient enter(RawClient raw, String export, Map<String, Integer> contexts, Integer... infos)
            throws Exception {
        RawClient.ExportInfo entered = raw.goExport(export, infos);
        return new ExtendedClient(raw, entered.size(), entered.flags(), contexts);
    }

    boolean advertised(TransmissionFlag f) { return f.isSetIn(transmissionFlags); }

    int contextId(String name) {
        Integer id = contexts.get(name);
        assertNotNull(id, "context " + name + " was not selected: " + contexts);
        return id;
    }

    // ---------------------------------------------------------------- requests

    /** Cookies with the top bit set and distinct halves, so a server that treats them as numbers shows it. */
    @Override
    public long cookie() { return nextCookie++ * 0x1_0000_0001L ^ 0x7E57_C00C_1E00_0000L; }

    /** A WRITE carrying {@code data} as its payload, as extended headers require (PAYLOAD_LEN set). */
    Request writeReq(int flags, long offset, int length) {
        return req(flags | CommandFlag.PAYLOAD_LEN.bit, CommandType.WRITE, offset, length);
    }

    /** Sends the 32-byte header of {@code r} followed by {@code payload} (null: none) in one write. */
    void send(Request r, byte[] payload) throws IOException {
        byte[] header = r.encodeExtended();
        if (payload == null) {
            raw.send(header);
            return;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(header.length + payload.length);
        out.writeBytes(header);
        out.writeBytes(payload);
        raw.send(out.toByteArray());
    }

    void send(Request r) throws IOException { send(r, null); }

    @Override
    public Reply call(Request r, byte[] payload) throws IOException {
        send(r, payload);
        return readReplyTo(r);
    }


    // ---------------------------------------------------------------- replies

    /** One extended reply chunk as it came off the wire. */
    record Chunk(int flags, int type, long cookie, long offset, byte[] payload) implements ReplyChecks.ReplyChunk {
        @Override public String toString() {
            return "Chunk(type=" + type + ", flags=" + flags + ", cookie=0x" + Long.toHexString(cookie) + ", offset="
                    + Long.toUnsignedString(offset) + ", length=" + payload.length + ")";
        }
    }

    /** One BLOCK_STATUS_EXT descriptor: 64-bit length and 64-bit status. */
    record Descriptor(long length, long status) {}

    /**
     * A decoded reply.
     *
     * @param error   0 on success, else the error value of the first error chunk
     * @param data    a successful READ of at most {@link #MAX_ASSEMBLED_READ} bytes, reassembled; else null
     * @param holes      start to hole size of each OFFSET_HOLE chunk of a READ
     * @param dataChunks start to data of each OFFSET_DATA chunk of a READ
     * @param status  descriptors by context id
     */
    record Reply(long cookie, int error, byte[] data, List<Chunk> chunks, TreeMap<Long, Long> holes,
                 TreeMap<Long, byte[]> dataChunks, Map<Integer, List<Descriptor>> status)
            implements TransmissionCalls.Result {
        List<Chunk> ofType(ReplyType t) { return chunks.stream().filter(c -> c.type() == t.value).toList(); }
    }

    /**
     * Reads one 32-byte extended reply header and its payload. Fails on any other magic, naming the kind of
     * header the server used instead (S71), and on a length no reply may have (the extension caps it at 32 bits).
     */
    Chunk readChunk() throws IOException {
        int magic = ByteBuffer.wrap(raw.readExactly(4)).getInt();
        if (magic == Magic.SIMPLE_REPLY) { // read just its 16 bytes, so the failure is immediate and exact
            ByteBuffer s = ByteBuffer.wrap(raw.readExactly(12));
            fail(String.format("S71: a 16-byte simple reply (error %d, cookie 0x%016x) on an extended-headers "
                    + "connection", s.getInt(), s.getLong()));
        }
        if (magic == Magic.STRUCTURED_REPLY) {
            ByteBuffer s = ByteBuffer.wrap(raw.readExactly(16));
            fail(String.format("S71: a 20-byte structured chunk (flags %d, type %d, cookie 0x%016x) on an "
                    + "extended-headers connection", s.getShort(), s.getShort(), s.getLong()));
        }
        if (magic != Magic.EXTENDED_REPLY) {
            fail(String.format("S71: expected an extended reply (0x%08x), got magic 0x%08x", Magic.EXTENDED_REPLY, magic));
        }
        ByteBuffer b = ByteBuffer.wrap(raw.readExactly(EXTENDED_REPLY_SIZE - 4));
        int flags = Short.toUnsignedInt(b.getShort());
        int type = Short.toUnsignedInt(b.getShort());
        long cookie = b.getLong();
        long offset = b.getLong();
        long length = b.getLong();
        assertTrue(length >= 0 && length <= MAX_ASSEMBLED_READ + 64, "reply length " + Long.toUnsignedString(length)
                + " is unreasonably large (type " + type + ")");
        return new Chunk(flags, type, cookie, offset, raw.readExactly((int) length));
    }

    Reply readReplyTo(Request r) throws IOException {
        return readReplies(Map.of(r.cookie(), r)).get(r.cookie());
    }

    /** One complete reply per outstanding request, in arrival order; fails on unknown cookies (S39). */
    Map<Long, Reply> readReplies(Map<Long, Request> outstanding) throws IOException {
        Map<Long, Reply> done = new LinkedHashMap<>();
        Map<Long, List<Chunk>> partial = new HashMap<>();
        while (done.size() < outstanding.size()) {
            Chunk c = readChunk();
            Request r = outstanding.get(c.cookie());
            assertNotNull(r, String.format("S39: chunk with unknown cookie 0x%016x: %s", c.cookie(), c));
            assertTrue(!done.containsKey(c.cookie()),
                    String.format("S42: chunk for cookie 0x%016x after its DONE chunk", c.cookie()));
            partial.computeIfAbsent(c.cookie(), k -> new ArrayList<>()).add(c);
            if (c.done()) done.put(c.cookie(), decode(r, partial.remove(c.cookie())));
        }
        return done;
    }

    /** Checks the chunks of one extended reply against the spec and decodes them. */
    static Reply decode(Request r, List<Chunk> chunks) {
        for (Chunk c : chunks) {
            assertEquals(r.offset(), c.offset(), "S71: the reply offset echoes the request offset: " + c + " of " + r);
        }
        Map<Integer, List<Descriptor>> status = new LinkedHashMap<>();
        TreeMap<Long, Long> covered = new TreeMap<>();
        TreeMap<Long, Long> holes = new TreeMap<>();
        TreeMap<Long, byte[]> dataChunks = new TreeMap<>();
        int error = ReplyChecks.checkChunks(r, chunks, Chunk::toString, covered,
                (c, span, body) -> {
                    if (c.type() == ReplyType.OFFSET_DATA.value) {
                        byte[] d = new byte[(int) span.length()];
                        body.get(d);
                        dataChunks.put(span.offset(), d);
                    } else {
                        holes.put(span.offset(), span.length());
                    }
                },
                (c, body, len, where) -> decodeStatus(r, c, body, len, where, status));
        if (error != 0) return new Reply(r.cookie(), error, null, chunks, holes, dataChunks, status);
        byte[] data = null;
        if (r.command() == CommandType.READ && !CommandFlag.PAYLOAD_LEN.isSetIn(r.flags())) {
            ReplyChecks.assertReadCovered(r, covered);
            if (r.length() <= MAX_ASSEMBLED_READ) {
                data = new byte[(int) r.length()]; // holes stay zero
                for (Map.Entry<Long, byte[]> e : dataChunks.entrySet()) {
                    System.arraycopy(e.getValue(), 0, data, (int) (e.getKey() - r.offset()), e.getValue().length);
                }
            }
        }
        return new Reply(r.cookie(), 0, data, chunks, holes, dataChunks, status);
    }

    /**
     * A status chunk: BLOCK_STATUS_EXT is the only kind an extended reply may carry (never the 32-bit BLOCK_STATUS);
     * its descriptors go to {@code status}.
     */
    private static void decodeStatus(Request r, Chunk c, ByteBuffer b, int len, String where,
                                     Map<Integer, List<Descriptor>> status) {
        if (c.type() == ReplyType.BLOCK_STATUS.value) {
            fail("S71: a 32-bit BLOCK_STATUS chunk (type 5) on an extended-headers connection: " + where);
        }
        if (c.type() != ReplyType.BLOCK_STATUS_EXT.value) fail("S86: unexpected chunk type " + c.type() + ": " + where);
        assertEquals(CommandType.BLOCK_STATUS, r.command(), "S86: status chunk for a non-BLOCK_STATUS: " + where);
        assertTrue(len >= 24 && (len - 8) % 16 == 0, "S87: BLOCK_STATUS_EXT length " + len
                + " is not 8 + a positive multiple of 16: " + where);
        int id = b.getInt();
        long count = Integer.toUnsignedLong(b.getInt());
        assertEquals((len - 8) / 16, count, "S71: descriptor count does not match the length: " + where);
        List<Descriptor> ds = new ArrayList<>();
        while (b.hasRemaining()) {
            Descriptor d = new Descriptor(b.getLong(), b.getLong());
            assertTrue(d.length() != 0, "S64: zero-length descriptor: " + where);
            assertEquals(0, d.status() >>> 32, "S71: top 32 status bits set for a 32-bit context: " + where);
            ds.add(d);
        }
        if (CommandFlag.REQ_ONE.isSetIn(r.flags())) {
            assertEquals(1, ds.size(), "S65: REQ_ONE gives exactly one descriptor: " + where);
        }
        assertTrue(status.put(id, ds) == null, "S63: two status chunks for context " + id + ": " + where);
    }

    // ---------------------------------------------------------------- conveniences

    void write(long offset, byte[] data) throws IOException {
        Reply rep = call(writeReq(0, offset, data.length), data);
        assertEquals(0, rep.error(), "WRITE " + offset + "+" + data.length);
        assertSingleNone(rep, "WRITE");
    }

    /** BLOCK_STATUS without a payload: descriptors by context id, one chunk per selected context (S63). */
    Map<Integer, List<Descriptor>> blockStatusAll(int flags, long offset, long length) throws IOException {
        Reply rep = call(req(flags, CommandType.BLOCK_STATUS, offset, length));
        assertEquals(0, rep.error(), "BLOCK_STATUS " + offset + "+" + length);
        assertEquals(contexts.size(), rep.chunks().size(), "S63: one chunk per context: " + rep.chunks());
        assertEquals(new TreeSet<>(contexts.values()), new TreeSet<>(rep.status().keySet()),
                "S63: the negotiated context ids");
        return rep.status();
    }

    /** BLOCK_STATUS for the only selected context. */
    List<Descriptor> blockStatus(int flags, long offset, long length) throws IOException {
        assertEquals(1, contexts.size(), "blockStatus() needs exactly one selected context");
        return blockStatusAll(flags, offset, length).get(contexts.values().iterator().next());
    }

    /** The payload of the BLOCK_STATUS payload form: u64 effect length, then the u32 context ids. */
    static byte[] statusPayload(long effectLength, int... ids) {
        ByteBuffer b = ByteBuffer.allocate(8 + 4 * ids.length).putLong(effectLength);
        for (int id : ids) b.putInt(id);
        return b.array();
    }

    /** Asserts a reply is exactly one NONE chunk with DONE: a payload-less success under extended headers. */
    static void assertSingleNone(Reply rep, String what) {
        assertEquals(1, rep.chunks().size(), what + ": one chunk: " + rep.chunks());
        Chunk c = rep.chunks().get(0);
        assertEquals(ReplyType.NONE.value, c.type(), what + ": NONE chunk");
        assertTrue(c.done(), what + ": NONE carries DONE");
    }

    /** Asserts a reply is exactly one NBD_REPLY_TYPE_ERROR chunk (with DONE) carrying {@code error}. */
    static void assertSingleError(Reply rep, int error, String what) {
        assertEquals(1, rep.chunks().size(), what + ": one chunk: " + rep.chunks());
        assertEquals(ReplyType.ERROR.value, rep.chunks().get(0).type(), what + ": an ERROR chunk");
        assertEquals(error, rep.error(), what + ": error value");
    }

    /** Proves the stream is in sync and the connection serves: a READ with its exact length, then a FLUSH. */
    void assertUsable() throws IOException {
        int n = (int) Math.min(4096, size);
        Reply rd = call(req(CommandType.READ, 0, n));
        assertEquals(0, rd.error(), "READ after the error");
        assertEquals(n, rd.data().length);
        Reply fl = call(req(CommandType.FLUSH, 0, 0));
        assertEquals(0, fl.error(), "FLUSH after the error");
        assertSingleNone(fl, "FLUSH");
    }

    /** Sends an extended NBD_CMD_DISC and asserts the server closes without sending anything more. */
    void disconnect() throws IOException {
        send(req(CommandType.DISC, 0, 0));
        raw.assertClosedByServer();
    }

    @Override
    public void close() throws IOException { raw.close(); }
}
