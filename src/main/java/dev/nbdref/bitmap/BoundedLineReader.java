package dev.nbdref.bitmap;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads newline-terminated UTF-8 lines of at most {@code maxBytes}, so a client that never sends a newline
 * cannot make the server buffer without end. A longer line is skipped to its newline and reported as too long,
 * and the reader stays in step with the stream.
 */
final class BoundedLineReader {
    /** One line; {@code text} is null when the line was longer than the limit. */
    record Line(String text) {
        boolean tooLong() {
            return text == null;
        }
    }

    private final InputStream in;
    private final int maxBytes;
    private final byte[] buffer = new byte[8192];
    private int start;
    private int end;

    BoundedLineReader(InputStream in, int maxBytes) {
        this.in = in;
        this.maxBytes = maxBytes;
    }

    /** The next line without its line end ({@code \n} or {@code \r\n}), or null at the end of the stream. */
    Line readLine() throws IOException {
        byte[] line = new byte[256];
        int length = 0;
        boolean tooLong = false;
        while (true) {
            if (start == end) {
                int n = in.read(buffer);
                if (n < 0) return length == 0 && !tooLong ? null : finish(line, length, tooLong);
                start = 0;
                end = n;
            }
            int newline = indexOf((byte) '\n', start, end);
            int stop = newline < 0 ? end : newline;
            int take = stop - start;
            if (!tooLong && length + take > maxBytes) tooLong = true;
            if (!tooLong) {
                if (length + take > line.length) line = Arrays.copyOf(line, Math.max(line.length * 2, length + take));
                System.arraycopy(buffer, start, line, length, take);
                length += take;
            }
            start = newline < 0 ? end : newline + 1;
            if (newline >= 0) return finish(line, length, tooLong);
        }
    }

    private static Line finish(byte[] line, int length, boolean tooLong) {
        if (tooLong) return new Line(null);
        if (length > 0 && line[length - 1] == '\r') length--;
        return new Line(new String(line, 0, length, StandardCharsets.UTF_8));
    }

    private int indexOf(byte b, int from, int to) {
        for (int i = from; i < to; i++) if (buffer[i] == b) return i;
        return -1;
    }
}
