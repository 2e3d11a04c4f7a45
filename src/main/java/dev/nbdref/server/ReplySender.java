package dev.nbdref.server;

import dev.nbdref.wire.OptionReply;
import dev.nbdref.wire.ReplyChunk;
import dev.nbdref.wire.ReplyEncoder;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * The only writer of a connection's socket. Each message goes out whole under one lock, so replies
 * from many worker threads never interleave inside a message (they may interleave between chunks).
 */
final class ReplySender {
    private OutputStream out;

    ReplySender(OutputStream out) { this.out = new BufferedOutputStream(out, 64 * 1024); }

    /** Replaces the stream (after a TLS upgrade). */
    synchronized void replace(OutputStream next) { this.out = new BufferedOutputStream(next, 64 * 1024); }

    /** Flushes and closes the stream; over TLS this sends close_notify before the socket goes (S61). */
    synchronized void close() throws IOException {
        out.close();
    }

    synchronized void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    synchronized void sendOptionReply(OptionReply reply) throws IOException {
        out.write(reply.encode());
        out.flush();
    }

    /** A simple reply; {@code data} (READ only) follows the header, or is null. */
    synchronized void sendSimple(long cookie, int error, ByteBuffer data) throws IOException {
        write(ReplyEncoder.simple(cookie, error));
        if (data != null) write(data.duplicate());
        out.flush();
    }

    synchronized void sendChunk(long cookie, boolean done, ReplyChunk chunk) throws IOException {
        for (ByteBuffer b : ReplyEncoder.structured(cookie, done, chunk)) write(b);
        out.flush();
    }

    private void write(ByteBuffer b) throws IOException {
        if (b.hasArray()) {
            out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
        } else {
            byte[] copy = new byte[b.remaining()];
            b.duplicate().get(copy);
            out.write(copy);
        }
    }
}
