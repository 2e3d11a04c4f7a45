package dev.nbdref.tls;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * Bounds the whole TLS handshake, which BouncyCastle 1.84 does not. The socket's SO_TIMEOUT bounds each read,
 * but a client that trickles a byte (or an ignorable warning alert) just often enough would hold the handshake
 * open for ever; this stream refuses further reads once the deadline has passed. The record layer keeps reading
 * through it after the handshake, so {@link #disarm()} turns the check off. It also notes whether the client
 * closed the connection, which BC reports only as a handshake_failure alert of its own.
 */
final class HandshakeDeadlineInputStream extends FilterInputStream {

    private final long deadlineNanos;
    private final Duration budget;
    private volatile boolean armed = true;
    private volatile boolean reachedEnd;

    HandshakeDeadlineInputStream(InputStream in, Duration budget) {
        super(in);
        this.budget = budget;
        this.deadlineNanos = System.nanoTime() + budget.toNanos();
    }

    /** The client closed its side: a read returned end of stream. */
    boolean reachedEnd() {
        return reachedEnd;
    }

    /** The handshake is over: reads are unbounded from now on. */
    void disarm() {
        armed = false;
    }

    @Override
    public int read() throws IOException {
        check();
        return noteEnd(super.read());
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        check();
        return noteEnd(super.read(b, off, len));
    }

    @Override
    public long skip(long n) throws IOException {
        check();
        return super.skip(n);
    }

    private int noteEnd(int result) {
        if (result < 0) reachedEnd = true;
        return result;
    }

    private void check() throws SocketTimeoutException {
        if (armed && System.nanoTime() - deadlineNanos > 0) {
            String limit = budget.toMillis() % 1000 == 0 ? budget.toSeconds() + " s" : budget.toMillis() + " ms";
            throw new SocketTimeoutException("the TLS handshake took longer than " + limit);
        }
    }
}
