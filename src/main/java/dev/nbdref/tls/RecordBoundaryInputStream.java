package dev.nbdref.tls;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * The client's raw stream below the TLS engine, passed through unchanged, with a {@link RecordObserver} told where
 * each record begins and ends. Every record, in every TLS version, is a 5-byte header (type, version, length of
 * the body) and its body, so following the lengths is enough; the bytes themselves are the engine's business.
 */
final class RecordBoundaryInputStream extends FilterInputStream {
    private static final int HEADER = 5;

    private final RecordObserver observer;
    /** Header bytes of the current record seen so far; 0 between records. */
    private int headerSeen;
    private int length;
    private int bodyLeft;

    RecordBoundaryInputStream(InputStream in, RecordObserver observer) {
        super(in);
        this.observer = observer;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) seen(new byte[] {(byte) b}, 0, 1);
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) seen(b, off, n);
        return n;
    }

    /** Read through, so the skipped bytes are followed too. */
    @Override
    public long skip(long n) throws IOException {
        byte[] scratch = new byte[(int) Math.min(n, 8192)];
        int r = n <= 0 ? 0 : read(scratch, 0, scratch.length);
        return Math.max(r, 0);
    }

    /** A mark and reset would show the same bytes twice. */
    @Override
    public boolean markSupported() { return false; }

    private void seen(byte[] b, int off, int n) {
        int i = off;
        int end = off + n;
        while (i < end) {
            if (headerSeen < HEADER) {
                header(b[i++] & 0xff);
            } else {
                int take = Math.min(bodyLeft, end - i);
                bodyLeft -= take;
                i += take;
            }
            if (headerSeen == HEADER && bodyLeft == 0) {
                headerSeen = 0;
                observer.recordFinished();
            }
        }
    }

    private void header(int b) {
        if (headerSeen == 0) observer.recordStarted();
        if (headerSeen == 3) length = b << 8;
        if (headerSeen == 4) bodyLeft = length | b;
        headerSeen++;
    }
}
