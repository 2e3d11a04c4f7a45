package dev.nbdref.server;

import dev.nbdref.tls.RecordObserver;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * The client's byte stream, counted, so every violation can say where in the stream it happened. It also times
 * how long the reader has waited for the rest of the message it is in (not for a message's first byte: a client
 * may idle between messages; and afresh after every {@link #PROGRESS_BYTES} received), which the
 * {@link IoWatchdog} bounds; under TLS, from the first ciphertext byte of
 * the record carrying a message's first byte ({@link RequestRecordClock}). Reading is done by one thread per
 * connection only.
 */
final class ClientInput {
    private static final int SKIP_CHUNK = 64 * 1024;
    /**
     * Every this many bytes received within a message count as progress and restart its clock, so a large WRITE
     * from a slow but steady client is not cut off (at the default 60 s bound, 4.4 KiB/s suffices, as for reply
     * writes), while a header trickled a byte at a time still is.
     */
    static final int PROGRESS_BYTES = 256 * 1024;

    private InputStream in;
    private long position;
    private final StallClock messageWait = new StallClock();
    /** In {@link #awaitNextMessage}: waiting for a first byte. Only the reader thread touches it. */
    private boolean idle;
    /** Bytes of the current message received since its clock last restarted. */
    private int sinceProgress;

    ClientInput(InputStream in) { this.in = new BufferedInputStream(in, 128 * 1024); }

    /** Offset of the next byte to be read, counted from the start of the connection. */
    long position() { return position; }

    /** Replaces the stream (after a TLS upgrade); the count continues, now in plaintext bytes. */
    void replace(InputStream next) { this.in = new BufferedInputStream(next, 128 * 1024); }

    /**
     * The stream as it is now, for the TLS handshake to read from: it may already hold the first bytes of the
     * ClientHello, which reading the raw socket would lose.
     */
    InputStream current() { return in; }

    /** For the TLS engine: times the record that carries a message's first byte (see RequestRecordClock). */
    RecordObserver tlsRecords() { return new RequestRecordClock(messageWait, () -> idle); }

    /** The next byte without consuming it, or -1 at the end of the stream. */
    int peek() throws IOException {
        in.mark(1);
        int b = in.read();
        in.reset();
        return b;
    }

    byte[] readExactly(int n) throws IOException {
        byte[] b = new byte[n];
        readFully(b, 0, n);
        return b;
    }

    void readFully(ByteBuffer dst) throws IOException {
        if (!dst.hasArray()) throw new IllegalArgumentException("heap buffers only");
        readFully(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
        dst.position(dst.limit());
    }

    private void readFully(byte[] b, int off, int len) throws IOException {
        int done = 0;
        while (done < len) {
            messageWait.block();
            int r;
            try {
                r = in.read(b, off + done, len - done);
            } finally {
                messageWait.unblock();
            }
            if (r < 0) throw new ClientClosedException(position, done, len);
            done += r;
            position += r;
            sinceProgress += r;
            if (sinceProgress >= PROGRESS_BYTES) {
                messageWait.clear();
                sinceProgress = 0;
            }
        }
    }

    /**
     * Reads the first byte of the next message, or returns false on a clean end of stream (the client
     * closed between messages); a message that then ends early throws.
     */
    boolean awaitNextMessage() throws IOException {
        messageWait.clear(); // waiting for a first byte is idling, which is allowed
        sinceProgress = 0;
        idle = true;
        int b;
        try {
            in.mark(1);
            b = in.read();
        } finally {
            idle = false;
            messageWait.unblock(); // ends a TLS record's timing if the read failed inside a record
        }
        if (b < 0) return false;
        in.reset();
        return true;
    }

    /**
     * How long, as of {@code now} (nanoTime), reading has waited on the client for the bytes of the message begun
     * after the last {@link #awaitNextMessage}. Time the reader spends elsewhere (waiting for buffer room, say)
     * does not count: that is the server's doing.
     */
    long messageWaitNanos(long now) { return messageWait.blockedNanos(now); }

    /** Bytes that can be read without blocking (already received). */
    int available() throws IOException { return in.available(); }

    /** Reads and drops {@code n} bytes without holding them in memory. */
    void skip(long n) throws IOException {
        byte[] scratch = new byte[(int) Math.min(SKIP_CHUNK, Math.max(n, 1))];
        long left = n;
        while (left > 0) {
            int step = (int) Math.min(left, scratch.length);
            readFully(scratch, 0, step);
            left -= step;
        }
    }

    /** The stream ended inside a message. */
    static final class ClientClosedException extends EOFException {
        ClientClosedException(long position, int got, int wanted) {
            super("client closed the connection at byte " + position + " after " + got + " of " + wanted
                    + " bytes of a message");
        }
    }
}
