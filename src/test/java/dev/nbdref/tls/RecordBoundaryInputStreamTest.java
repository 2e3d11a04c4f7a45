package dev.nbdref.tls;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** RecordBoundaryInputStream passes bytes through unchanged and finds record boundaries however reads split them. */
class RecordBoundaryInputStreamTest {

    /** Three records: 3 body bytes, an empty body, 300 body bytes (a length above 255); 318 bytes in all. */
    private static byte[] records() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x16, 0x03, 0x01, 0x00, 0x03, 1, 2, 3});
        out.writeBytes(new byte[] {0x17, 0x03, 0x03, 0x00, 0x00});
        out.writeBytes(new byte[] {0x17, 0x03, 0x03, 0x01, 0x2c});
        out.writeBytes(new byte[300]);
        return out.toByteArray();
    }

    /** Each event with the offset of the byte being read when it came (exact when reading a byte at a time). */
    private static final class Events implements RecordObserver {
        final List<String> seen = new ArrayList<>();
        int position;

        @Override
        public void recordStarted() { seen.add("start@" + position); }

        @Override
        public void recordFinished() { seen.add("end@" + position); }

        List<String> kinds() { return seen.stream().map(s -> s.substring(0, s.indexOf('@'))).toList(); }
    }

    @Test
    void aRecordStartsOnItsFirstHeaderByteAndEndsOnItsLastBodyByte() throws IOException {
        Events events = new Events();
        InputStream in = new RecordBoundaryInputStream(new ByteArrayInputStream(records()), events);
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        for (int b; (b = in.read()) >= 0; events.position++) copy.write(b);
        assertArrayEquals(records(), copy.toByteArray());
        assertEquals(List.of("start@0", "end@7", "start@8", "end@12", "start@13", "end@317"), events.seen);
    }

    @Test
    void largeAndOddPiecesFindTheSameRecords() throws IOException {
        for (int piece : new int[] {2, 3, 7, 64, 1000}) {
            Events events = new Events();
            InputStream in = new RecordBoundaryInputStream(new ByteArrayInputStream(records()), events);
            ByteArrayOutputStream copy = new ByteArrayOutputStream();
            byte[] buf = new byte[piece];
            for (int n; (n = in.read(buf, 0, piece)) > 0; ) copy.write(buf, 0, n);
            assertArrayEquals(records(), copy.toByteArray(), "pieces of " + piece);
            assertEquals(List.of("start", "end", "start", "end", "start", "end"), events.kinds(), "pieces of " + piece);
        }
    }

    @Test
    void aPartlyReadRecordHasStartedButNotFinished() throws IOException {
        Events events = new Events();
        InputStream in = new RecordBoundaryInputStream(new ByteArrayInputStream(records()), events);
        in.readNBytes(6); // the header and one body byte of the first record
        assertEquals(List.of("start"), events.kinds());
        in.readNBytes(2 + 5 + 5); // the rest of it, the empty record, the third's header
        assertEquals(List.of("start", "end", "start", "end", "start"), events.kinds());
    }
}
