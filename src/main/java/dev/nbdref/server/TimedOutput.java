package dev.nbdref.server;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A stream that times each write to the client, so the {@link IoWatchdog} can tell a client that stopped reading
 * (the write stays blocked) from one that is merely slow. A socket write blocks until all its bytes are in the
 * kernel, with no way to see partial progress, so large writes go in pieces: each piece that completes is
 * progress, and the clock starts again.
 */
final class TimedOutput extends FilterOutputStream {
    /**
     * Large enough that a 32 MiB reply costs few system calls (each write is one; 16 KiB pieces cost a fifth of
     * the read throughput), small enough that a client reading at 5 KiB/s still completes a piece within the
     * default 60 s bound. Over TLS the layer below writes 16 KiB records whatever this is.
     */
    static final int PIECE = 256 * 1024;

    private final StallClock clock;

    TimedOutput(OutputStream out, StallClock clock) {
        super(out);
        this.clock = clock;
    }

    @Override
    public void write(int b) throws IOException {
        begin();
        try {
            out.write(b);
        } finally {
            end();
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        for (int done = 0; done < len; done += PIECE) {
            begin();
            try {
                out.write(b, off + done, Math.min(PIECE, len - done));
            } finally {
                end();
            }
        }
    }

    @Override
    public void flush() throws IOException {
        begin();
        try {
            out.flush();
        } finally {
            end();
        }
    }

    private void begin() {
        clock.clear();
        clock.block();
    }

    /** The piece went out: no stall is left to count. */
    private void end() {
        clock.unblock();
        clock.clear();
    }
}
