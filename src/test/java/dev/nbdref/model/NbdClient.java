package dev.nbdref.model;

import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.HandshakeFlag;
import dev.nbdref.spec.InfoType;
import dev.nbdref.spec.Magic;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.spec.ReplyType;
import dev.nbdref.spec.TransmissionFlag;
import dev.nbdref.wire.Greeting;
import dev.nbdref.wire.InfoRequest;
import dev.nbdref.wire.MetaContextRequest;
import dev.nbdref.wire.OptionHeader;
import dev.nbdref.wire.OptionReply;
import dev.nbdref.wire.Request;
import dev.nbdref.wire.WireFormatException;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small, strict NBD client for model, load and fault tests (public, so every test package can use it):
 * fixed newstyle negotiation with optional structured replies or extended headers and metadata contexts,
 * then one request at a time. Every reply is checked against the framing rules a server must follow (cookie
 * echoed, DONE exactly once and last, no unknown reply flags, chunk types that fit the command, READ chunks
 * inside the request and not overlapping, error chunks well formed, the request offset echoed under extended
 * headers); a breach throws {@link ProtocolViolation} naming it. Not thread-safe: one thread per client.
 */
public final class NbdClient implements AutoCloseable {

    /** How replies are framed after GO. */
    public enum Framing {
        /** Simple replies only. */
        SIMPLE,
        /** NBD_OPT_STRUCTURED_REPLY. */
        STRUCTURED,
        /** NBD_OPT_EXTENDED_HEADERS: 32-byte requests and replies. */
        EXTENDED
    }

    /** The server broke a framing rule; the connection is unusable afterwards. */
    public static final class ProtocolViolation extends IOException {
        private static final long serialVersionUID = 1L;

        public ProtocolViolation(String message) { super(message); }
    }

    /** One BLOCK_STATUS descriptor (compact: 32-bit fields widened). */
    public record Descriptor(long length, long flags) {}

    /**
     * A complete reply.
     *
     * @param error  0 on success, else the error value (the first error chunk's, for chunked replies)
     * @param data   the data of a successful READ (holes filled with zeroes), else null
     * @param status descriptors by context id, for BLOCK_STATUS
     * @param chunks how many chunks made the reply (1 for a simple reply)
     */
    public record Reply(int error, byte[] data, Map<Integer, List<Descriptor>> status, int chunks) {
        public boolean ok() { return error == 0; }
    }

    private static final long MAX_CHUNK = 64L << 20;

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final Framing framing;
    private final long size;
    private final int transmissionFlags;
    private final Map<String, Integer> contexts;
    private long nextCookie = 0x5EED_0000_0000_0001L;

    private NbdClient(Socket socket, DataInputStream in, OutputStream out, Framing framing, long size, int flags,
                      Map<String, Integer> contexts) {
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.framing = framing;
        this.size = size;
        this.transmissionFlags = flags;
        this.contexts = Map.copyOf(contexts);
    }

    /**
     * Connects, negotiates {@code framing}, selects {@code metaContexts} on {@code export} (needs structured
     * replies or extended headers) and enters transmission with GO.
     */
    public static NbdClient connect(String host, int port, String export, Framing framing, List<String> metaContexts,
                                    int timeoutMillis) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            s.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 256 * 1024));
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 256 * 1024);
            byte[] greeting = new byte[Greeting.SIZE];
            in.readFully(greeting);
            Greeting g = Greeting.decode(greeting);
            if (!HandshakeFlag.FIXED_NEWSTYLE.isSetIn(g.handshakeFlags())) throw new ProtocolViolation("not fixed newstyle");
            int clientFlags = HandshakeFlag.FIXED_NEWSTYLE.bit
                    | (HandshakeFlag.NO_ZEROES.isSetIn(g.handshakeFlags()) ? HandshakeFlag.NO_ZEROES.bit : 0);
            out.write(ByteBuffer.allocate(4).putInt(clientFlags).array());
            if (framing == Framing.STRUCTURED) expectAck(option(in, out, OptionType.STRUCTURED_REPLY, new byte[0]));
            if (framing == Framing.EXTENDED) expectAck(option(in, out, OptionType.EXTENDED_HEADERS, new byte[0]));
            Map<String, Integer> ids = new LinkedHashMap<>();
            if (!metaContexts.isEmpty()) {
                List<OptionReply> r = option(in, out, OptionType.SET_META_CONTEXT,
                        new MetaContextRequest(export, metaContexts).encode());
                expectAck(r);
                for (OptionReply m : r.subList(0, r.size() - 1)) {
                    if (m.replyType() != OptionReplyType.META_CONTEXT) throw new ProtocolViolation("SET_META_CONTEXT: " + m);
                    ByteBuffer b = ByteBuffer.wrap(m.payload());
                    int id = b.getInt();
                    String name = new String(m.payload(), 4, m.payload().length - 4, StandardCharsets.UTF_8);
                    if (ids.put(name, id) != null) throw new ProtocolViolation("context " + name + " selected twice");
                }
            }
            List<OptionReply> r = option(in, out, OptionType.GO, new InfoRequest(export, List.of()).encode());
            expectAck(r);
            long size = -1;
            int flags = 0;
            for (OptionReply m : r) {
                if (m.replyType() != OptionReplyType.INFO) continue;
                ByteBuffer b = ByteBuffer.wrap(m.payload());
                if (Short.toUnsignedInt(b.getShort()) == InfoType.EXPORT.value) {
                    size = b.getLong();
                    flags = Short.toUnsignedInt(b.getShort());
                }
            }
            if (size < 0) throw new ProtocolViolation("GO without NBD_INFO_EXPORT");
            return new NbdClient(s, in, out, framing, size, flags, ids);
        } catch (WireFormatException e) {
            s.close();
            throw new ProtocolViolation(e.getMessage());
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private static void expectAck(List<OptionReply> replies) throws ProtocolViolation {
        OptionReply last = replies.get(replies.size() - 1);
        if (last.replyType() != OptionReplyType.ACK) {
            throw new ProtocolViolation("option refused: " + OptionReplyType.of(last.type()) + " "
                    + new String(last.payload(), StandardCharsets.UTF_8));
        }
    }

    private static List<OptionReply> option(DataInputStream in, OutputStream out, OptionType type, byte[] payload)
            throws IOException, WireFormatException {
        out.write(OptionHeader.encode(type.value, payload));
        out.flush();
        List<OptionReply> all = new ArrayList<>();
        while (true) {
            byte[] h = new byte[OptionReply.HEADER_SIZE];
            in.readFully(h);
            OptionReply.Header header = OptionReply.decodeHeader(h);
            if (header.option() != type.value) throw new ProtocolViolation("reply to option " + header.option()
                    + " while waiting for " + type);
            if (header.length() > 1 << 20) throw new ProtocolViolation("option reply of " + header.length() + " bytes");
            byte[] p = new byte[(int) header.length()];
            in.readFully(p);
            OptionReply r = new OptionReply(header.option(), header.type(), p);
            all.add(r);
            OptionReplyType t = r.replyType();
            if (t != OptionReplyType.INFO && t != OptionReplyType.SERVER && t != OptionReplyType.META_CONTEXT) return all;
        }
    }

    public Framing framing() { return framing; }

    public long size() { return size; }

    public int transmissionFlags() { return transmissionFlags; }

    public boolean advertised(TransmissionFlag f) { return f.isSetIn(transmissionFlags); }

    /** The connection's socket, for tests that go on with raw bytes after negotiating. */
    public Socket socket() { return socket; }

    /** Selected context name to id. */
    public Map<String, Integer> contexts() { return contexts; }

    // ---------------------------------------------------------------- requests

    public Reply read(long offset, int length, int flags) throws IOException {
        return call(flags, CommandType.READ, offset, length, null);
    }

    public Reply write(long offset, byte[] data, int flags) throws IOException {
        return call(flags, CommandType.WRITE, offset, data.length, data);
    }

    public Reply flush() throws IOException { return call(0, CommandType.FLUSH, 0, 0, null); }

    public Reply trim(long offset, long length, int flags) throws IOException {
        return call(flags, CommandType.TRIM, offset, length, null);
    }

    public Reply writeZeroes(long offset, long length, int flags) throws IOException {
        return call(flags, CommandType.WRITE_ZEROES, offset, length, null);
    }

    public Reply cache(long offset, long length) throws IOException {
        return call(0, CommandType.CACHE, offset, length, null);
    }

    public Reply blockStatus(long offset, long length, int flags) throws IOException {
        return call(flags, CommandType.BLOCK_STATUS, offset, length, null);
    }

    /** Sends one request (a WRITE's payload with it) and reads its reply. */
    public Reply call(int flags, CommandType type, long offset, long length, byte[] payload) throws IOException {
        long cookie = nextCookie++;
        if (payload != null && framing == Framing.EXTENDED) flags |= CommandFlag.PAYLOAD_LEN.bit;
        Request r = new Request(flags, type.value, cookie, offset, length);
        out.write(framing == Framing.EXTENDED ? r.encodeExtended() : r.encodeCompact());
        if (payload != null) out.write(payload);
        out.flush();
        return framing == Framing.SIMPLE ? readSimple(r) : readChunked(r);
    }

    /** Sends NBD_CMD_DISC and waits (briefly) for the server to close. */
    public void disconnect() throws IOException {
        Request r = new Request(0, CommandType.DISC.value, nextCookie++, 0, 0);
        out.write(framing == Framing.EXTENDED ? r.encodeExtended() : r.encodeCompact());
        out.flush();
        int b = in.read();
        if (b >= 0) throw new ProtocolViolation("server sent data after NBD_CMD_DISC");
    }

    @Override
    public void close() throws IOException { socket.close(); }

    // ---------------------------------------------------------------- replies

    private Reply readSimple(Request r) throws IOException {
        int magic = in.readInt();
        if (magic != Magic.SIMPLE_REPLY) throw new ProtocolViolation(String.format("expected a simple reply, got 0x%08x", magic));
        int error = in.readInt();
        long cookie = in.readLong();
        if (cookie != r.cookie()) throw new ProtocolViolation("cookie not echoed for " + r);
        byte[] data = null;
        if (error == 0 && r.command() == CommandType.READ) {
            data = new byte[(int) r.length()];
            in.readFully(data);
        }
        return new Reply(error, data, Map.of(), 1);
    }

    private Reply readChunked(Request r) throws IOException {
        boolean extended = framing == Framing.EXTENDED;
        boolean isRead = r.command() == CommandType.READ;
        byte[] data = isRead ? new byte[(int) r.length()] : null;
        TreeMap<Long, Long> covered = new TreeMap<>();
        Map<Integer, List<Descriptor>> status = new LinkedHashMap<>();
        int error = 0;
        int chunks = 0;
        while (true) {
            int magic = in.readInt();
            int expected = extended ? Magic.EXTENDED_REPLY : Magic.STRUCTURED_REPLY;
            if (magic != expected) throw new ProtocolViolation(String.format("reply magic 0x%08x, expected 0x%08x", magic, expected));
            int flags = in.readUnsignedShort();
            int type = in.readUnsignedShort();
            long cookie = in.readLong();
            long length;
            if (extended) {
                long echoed = in.readLong();
                if (echoed != r.offset()) throw new ProtocolViolation("S71: reply offset " + echoed + " for " + r);
                length = in.readLong();
            } else {
                length = Integer.toUnsignedLong(in.readInt());
            }
            chunks++;
            String where = "chunk " + chunks + " (type " + type + ") of " + r;
            if (cookie != r.cookie()) throw new ProtocolViolation("S39: cookie not echoed: " + where);
            if ((flags & ~ReplyType.FLAG_DONE) != 0) throw new ProtocolViolation("S44: unknown flags: " + where);
            if (length < 0 || length > MAX_CHUNK) throw new ProtocolViolation("chunk length " + length + ": " + where);
            byte[] p = new byte[(int) length];
            in.readFully(p);
            ByteBuffer b = ByteBuffer.wrap(p);
            boolean done = (flags & ReplyType.FLAG_DONE) != 0;
            if (type == ReplyType.ERROR.value || type == ReplyType.ERROR_OFFSET.value) {
                int fixed = type == ReplyType.ERROR.value ? 6 : 14;
                if (length < fixed) throw new ProtocolViolation("S87: short error chunk: " + where);
                int e = b.getInt();
                int msg = b.getShort() & 0xffff;
                if (e == 0 || msg > length - fixed) throw new ProtocolViolation("S46: bad error chunk: " + where);
                if (type == ReplyType.ERROR_OFFSET.value) {
                    b.position(6 + msg);
                    long off = b.getLong();
                    if (off < r.offset() || off - r.offset() >= r.length()) throw new ProtocolViolation("S46: offset: " + where);
                }
                if (error == 0) error = e;
            } else if (type == ReplyType.NONE.value) {
                if (length != 0 || !done) throw new ProtocolViolation("S87: NONE chunk: " + where);
            } else if (type == ReplyType.OFFSET_DATA.value || type == ReplyType.OFFSET_HOLE.value) {
                if (!isRead) throw new ProtocolViolation("S86: content chunk for a non-READ: " + where);
                long off = b.getLong();
                long n;
                if (type == ReplyType.OFFSET_DATA.value) {
                    n = length - 8;
                    if (n <= 0) throw new ProtocolViolation("S87: empty OFFSET_DATA: " + where);
                } else {
                    if (length != 12) throw new ProtocolViolation("S87: OFFSET_HOLE length: " + where);
                    n = Integer.toUnsignedLong(b.getInt());
                    if (n == 0) throw new ProtocolViolation("S48: empty hole: " + where);
                }
                if (off < r.offset() || off + n > r.offset() + r.length()) throw new ProtocolViolation("S48: outside: " + where);
                Map.Entry<Long, Long> before = covered.floorEntry(off);
                Map.Entry<Long, Long> after = covered.ceilingEntry(off);
                if ((before != null && before.getValue() > off) || (after != null && after.getKey() < off + n)) {
                    throw new ProtocolViolation("S48: overlapping chunks: " + where);
                }
                covered.put(off, off + n);
                if (type == ReplyType.OFFSET_DATA.value) b.get(data, (int) (off - r.offset()), (int) n);
            } else if (type == ReplyType.BLOCK_STATUS.value || type == ReplyType.BLOCK_STATUS_EXT.value) {
                if (r.command() != CommandType.BLOCK_STATUS) throw new ProtocolViolation("S86: status for non-BLOCK_STATUS: " + where);
                if ((type == ReplyType.BLOCK_STATUS_EXT.value) != extended) throw new ProtocolViolation("S71: status chunk type: " + where);
                int id = b.getInt();
                List<Descriptor> ds = new ArrayList<>();
                if (extended) {
                    if (length < 24 || (length - 8) % 16 != 0) throw new ProtocolViolation("S87: length: " + where);
                    long count = Integer.toUnsignedLong(b.getInt());
                    if (count != (length - 8) / 16) throw new ProtocolViolation("S71: descriptor count: " + where);
                    while (b.hasRemaining()) ds.add(new Descriptor(b.getLong(), b.getLong()));
                } else {
                    if (length < 12 || (length - 4) % 8 != 0) throw new ProtocolViolation("S87: length: " + where);
                    while (b.hasRemaining()) {
                        ds.add(new Descriptor(Integer.toUnsignedLong(b.getInt()), Integer.toUnsignedLong(b.getInt())));
                    }
                }
                for (Descriptor d : ds) if (d.length() == 0) throw new ProtocolViolation("S64: zero-length descriptor: " + where);
                if (CommandFlag.REQ_ONE.isSetIn(r.flags()) && ds.size() != 1) throw new ProtocolViolation("S65: REQ_ONE: " + where);
                if (!contexts.containsValue(id)) throw new ProtocolViolation("S63: unknown context id " + id + ": " + where);
                if (status.put(id, ds) != null) throw new ProtocolViolation("S63: two chunks for context " + id + ": " + where);
            } else {
                throw new ProtocolViolation("S86: unexpected chunk type: " + where);
            }
            if (done) break;
        }
        if (error != 0) return new Reply(error, null, status, chunks);
        if (isRead) {
            long pos = r.offset();
            for (Map.Entry<Long, Long> e : covered.entrySet()) {
                if (e.getKey() != pos) throw new ProtocolViolation("S48: gap at " + pos + " in the reply to " + r);
                pos = e.getValue();
            }
            if (pos != r.offset() + r.length()) throw new ProtocolViolation("S48: READ reply short of the end: " + r);
        }
        if (r.command() == CommandType.BLOCK_STATUS && !status.keySet().containsAll(contexts.values())) {
            throw new ProtocolViolation("S63: not every selected context answered: " + status.keySet());
        }
        return new Reply(0, data, status, chunks);
    }
}
