package dev.nbdref.server;

import dev.nbdref.spec.HandshakeFlag;
import dev.nbdref.spec.InfoType;
import dev.nbdref.spec.Magic;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.wire.Greeting;
import dev.nbdref.wire.InfoRequest;
import dev.nbdref.wire.MetaContextRequest;
import dev.nbdref.wire.OptionHeader;
import dev.nbdref.wire.OptionReply;
import dev.nbdref.wire.Request;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A test client that sends exactly the bytes a test says, and decodes what comes back without
 * judging it, so tests can assert the server's replies to valid and broken input alike.
 */
final class RawClient implements AutoCloseable {
    static final int FIXED_AND_NO_ZEROES = HandshakeFlag.FIXED_NEWSTYLE.bit | HandshakeFlag.NO_ZEROES.bit;

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    RawClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Reads the greeting and answers it with {@code clientFlags}. */
    Greeting handshake(int clientFlags) throws Exception {
        Greeting g = Greeting.decode(readExactly(Greeting.SIZE));
        sendInt(clientFlags);
        return g;
    }

    Greeting handshake() throws Exception { return handshake(FIXED_AND_NO_ZEROES); }

    void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void sendInt(int v) throws IOException { send(ByteBuffer.allocate(4).putInt(v).array()); }

    void sendOption(int option, byte[] payload) throws IOException { send(OptionHeader.encode(option, payload)); }

    void sendOption(OptionType option, byte[] payload) throws IOException { sendOption(option.value, payload); }

    OptionReply readOptionReply() throws Exception {
        OptionReply.Header h = OptionReply.decodeHeader(readExactly(OptionReply.HEADER_SIZE));
        return new OptionReply(h.option(), h.type(), readExactly((int) h.length()));
    }

    /** Reads replies up to and including the first that is not INFO, SERVER or META_CONTEXT. */
    List<OptionReply> readUntilFinal() throws Exception {
        List<OptionReply> all = new ArrayList<>();
        while (true) {
            OptionReply r = readOptionReply();
            all.add(r);
            OptionReplyType t = r.replyType();
            if (t != OptionReplyType.INFO && t != OptionReplyType.SERVER && t != OptionReplyType.META_CONTEXT) return all;
        }
    }

    /** Sends an option and returns all its replies. */
    List<OptionReply> option(OptionType option, byte[] payload) throws Exception {
        sendOption(option, payload);
        return readUntilFinal();
    }

    void structuredReplies() throws Exception {
        List<OptionReply> r = option(OptionType.STRUCTURED_REPLY, new byte[0]);
        assertEquals(OptionReplyType.ACK, r.get(0).replyType());
    }

    /** GO to {@code name}, asserting success; returns the replies (INFOs then ACK). */
    List<OptionReply> go(String name, Integer... infos) throws Exception {
        List<OptionReply> r = option(OptionType.GO, new InfoRequest(name, List.of(infos)).encode());
        assertEquals(OptionReplyType.ACK, r.get(r.size() - 1).replyType(), "GO failed: " + r);
        return r;
    }

    /** What GO's NBD_INFO_EXPORT said of the export entered. */
    record ExportInfo(long size, int flags) {}

    /** GO to {@code name}, asserting success and an NBD_INFO_EXPORT among the replies; returns what it said. */
    ExportInfo goExport(String name, Integer... infos) throws Exception {
        for (OptionReply r : go(name, infos)) {
            if (r.replyType() != OptionReplyType.INFO) continue;
            ByteBuffer b = ByteBuffer.wrap(r.payload());
            if (Short.toUnsignedInt(b.getShort()) == InfoType.EXPORT.value) {
                return new ExportInfo(b.getLong(), Short.toUnsignedInt(b.getShort()));
            }
        }
        return fail("GO sent no NBD_INFO_EXPORT");
    }

    /** SET_META_CONTEXT with these queries; asserts it ends in ACK and returns each selected name to its id. */
    Map<String, Integer> setMetaContext(String export, String... queries) throws Exception {
        byte[] request = new MetaContextRequest(export, List.of(queries)).encode();
        List<OptionReply> r = option(OptionType.SET_META_CONTEXT, request);
        assertEquals(OptionReplyType.ACK, r.get(r.size() - 1).replyType(), "SET_META_CONTEXT: " + r);
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (OptionReply m : r.subList(0, r.size() - 1)) {
            assertEquals(OptionReplyType.META_CONTEXT, m.replyType());
            ByteBuffer b = ByteBuffer.wrap(m.payload());
            int id = b.getInt();
            byte[] name = new byte[b.remaining()];
            b.get(name);
            assertTrue(ids.put(new String(name, StandardCharsets.UTF_8), id) == null, "context listed twice: " + r);
        }
        return ids;
    }

    void request(Request r) throws IOException { send(r.encodeCompact()); }

    void request(Request r, byte[] payload) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Request.COMPACT_SIZE + payload.length).put(r.encodeCompact()).put(payload);
        send(b.array());
    }

    /** A simple reply header: error and cookie; the caller reads any data. */
    record SimpleReply(int error, long cookie) {}

    SimpleReply readSimpleReply() throws IOException {
        ByteBuffer b = ByteBuffer.wrap(readExactly(16));
        int magic = b.getInt();
        if (magic != Magic.SIMPLE_REPLY) fail(String.format("expected a simple reply, got magic 0x%08x", magic));
        return new SimpleReply(b.getInt(), b.getLong());
    }

    /** A structured chunk with its whole payload. */
    record Chunk(int flags, int type, long cookie, byte[] payload) implements ReplyChecks.ReplyChunk {}

    Chunk readChunk() throws IOException {
        ByteBuffer b = ByteBuffer.wrap(readExactly(20));
        int magic = b.getInt();
        if (magic != Magic.STRUCTURED_REPLY) fail(String.format("expected a structured chunk, got magic 0x%08x", magic));
        int flags = Short.toUnsignedInt(b.getShort());
        int type = Short.toUnsignedInt(b.getShort());
        long cookie = b.getLong();
        int length = b.getInt();
        return new Chunk(flags, type, cookie, readExactly(length));
    }

    /** Every chunk of one reply, through the one with DONE (replies to other cookies are not expected). */
    List<Chunk> readReply() throws IOException {
        List<Chunk> chunks = new ArrayList<>();
        Chunk c;
        do {
            c = readChunk();
            chunks.add(c);
        } while (!c.done());
        return chunks;
    }

    byte[] readExactly(int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    /** Asserts the server closes the connection (end of stream) within the socket timeout, sending nothing more. */
    void assertClosedByServer() throws IOException {
        try {
            int b = in.read();
            if (b >= 0) fail("expected the server to close, but it sent byte 0x" + Integer.toHexString(b));
        } catch (SocketTimeoutException e) {
            fail("expected the server to close the connection, but it stayed open");
        } catch (EOFException | java.net.SocketException e) {
            // closed: as expected
        }
    }

    @Override
    public void close() throws IOException { socket.close(); }
}
