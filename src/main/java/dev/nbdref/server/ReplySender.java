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
 * Writes are timed beneath the buffer (and above TLS, which writes a record per piece), so a client that
 * stops reading shows as a write that makes no progress.
 */
final class ReplySender {
    private final StallClock writeStall = new StallClock();
    private OutputStream out;

    ReplySender(OutputStream out) { this.out = buffered(out); }

    /** Replaces the stream (after a TLS upgrade). */
    synchronized void replace(OutputStream next) { this.out = buffered(next); }

    private BufferedOutputStream buffered(OutputStream raw) {
        return new BufferedOutputStream(new TimedOutput(raw, writeStall), 64 * 1024);
    }

    /**
     * How long, as of {@code now} (nanoTime), the write in progress has gone without progress (the client not
     * taking the bytes); 0 when nothing is being written. Read without the lock: a stalled writer holds it.
     */
    long writeStalledNanos(long now) { return writeStall.blockedNanos(now); }

    /** Flushes and closes the stream; over TLS this sends close_notify before the socket goes (S61). */
    synchronized void close() throws IOException {
        out.close();
    }

    /** Drops the connection at once (a hard disconnect from a worker thread); the reader then sees it closed. */
    void abort() {
        try {
            out.close();
        } catch (IOException ignored) {
            // already gone
        }
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

    /** Reads the bytes at an offset of the export into a buffer, from its position to its limit. */
    interface PieceReader {
        void read(long offset, ByteBuffer dst) throws IOException;
    }

    /**
     * A simple READ reply too large to buffer whole: the header and {@code first} piece (already read, so an
     * early failure could still be a clean error reply), then the rest read piece by piece into {@code scratch}
     * (which may be {@code first} itself: it is free once written).
     * A failure after the header cannot be reported any more; S47 then asks for a hard disconnect, which closing
     * the stream is.
     */
    synchronized void sendSimpleStreamed(long cookie, ByteBuffer first, long offset, long length, PieceReader reader,
                                         ByteBuffer scratch) throws IOException {
        write(ReplyEncoder.simple(cookie, 0));
        write(first);
        long at = offset + first.remaining();
        long end = offset + length;
        try {
            while (at < end) {
                scratch.clear().limit((int) Math.min(scratch.capacity(), end - at));
                reader.read(at, scratch);
                write(scratch.flip());
                at += scratch.remaining();
            }
        } catch (IOException | RuntimeException e) {
            out.close();
            throw new IOException("read failed after the reply header was sent; connection dropped (S47)", e);
        }
        out.flush();
    }

    synchronized void sendChunk(long cookie, boolean done, ReplyChunk chunk) throws IOException {
        for (ByteBuffer b : ReplyEncoder.structured(cookie, done, chunk)) write(b);
        out.flush();
    }

    synchronized void sendExtendedChunk(long cookie, long requestOffset, boolean done, ReplyChunk chunk)
            throws IOException {
        for (ByteBuffer b : ReplyEncoder.extended(cookie, requestOffset, done, chunk)) write(b);
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
