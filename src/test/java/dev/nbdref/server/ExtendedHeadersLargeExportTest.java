package dev.nbdref.server;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.server.ExtendedClient.Descriptor;
import dev.nbdref.server.ExtendedClient.Reply;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.MetaContext;
import dev.nbdref.spec.ReplyType;
import dev.nbdref.testing.Verifies;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.nbdref.server.ExtendedClient.assertSingleNone;
import static dev.nbdref.server.TransmissionClient.assertBytes;
import static dev.nbdref.server.TransmissionClient.assertZeroes;
import static dev.nbdref.server.TransmissionClient.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 64-bit effect lengths, which only extended headers can express, on a sparse 16 GiB memory export: TRIM and
 * WRITE_ZEROES over more than 4 GiB, a READ across a hole of more than 4 GiB, and BLOCK_STATUS_EXT descriptors
 * longer than 32 bits.
 */
class ExtendedHeadersLargeExportTest {
    private static final long GIB = 1L << 30;
    private static final long SIZE = 16 * GIB;
    private static final long FOUR_GIB = 1L << 32;
    private static final int HOLE_ZERO = MetaContext.STATE_HOLE | MetaContext.STATE_ZERO;

    private static TestServer bigServer() throws Exception {
        return new TestServer(List.of(new Export("big", null, new MemoryDevice(SIZE), false)));
    }

    /**
     * TRIM of 6 GiB (length > 2^32) succeeds with one NONE chunk and the trimmed range reads back as zeroes where
     * data was, while data just outside it survives; base:allocation then reports one hole longer than 2^32.
     */
    @Test
    @Verifies({"S71", "S82", "S64"})
    void trimLongerThanFourGibibytes() throws Exception {
        try (TestServer server = bigServer();
             ExtendedClient c = ExtendedClient.open(server, "big", MetaContext.BASE_ALLOCATION)) {
            byte[] a = pattern(8192, 1);
            byte[] b = pattern(8192, 2);
            byte[] outside = pattern(4096, 3);
            c.write(GIB, a);
            c.write(5 * GIB + 100, b);
            c.write(7 * GIB, outside);
            long start = GIB / 2;
            long length = 6 * GIB;
            assertTrue(length > FOUR_GIB);
            assertSingleNone(c.call(c.req(CommandType.TRIM, start, length)), "TRIM of 6 GiB");
            assertZeroes(c.read(GIB, a.length), "trimmed data at 1 GiB");
            assertZeroes(c.read(5 * GIB + 100, b.length), "trimmed data at 5 GiB");
            assertBytes(outside, c.read(7 * GIB, outside.length), "data past the trimmed range");
            List<Descriptor> ds = c.blockStatus(0, start, length);
            assertEquals(List.of(new Descriptor(length, HOLE_ZERO)), ds, "one 64-bit hole descriptor");
            c.disconnect();
        }
    }

    /**
     * WRITE_ZEROES of 4 GiB + 64 KiB, with and without NO_HOLE, succeeds and zeroes data inside the range; with
     * NO_HOLE allocated data stays allocated (ZERO without HOLE), otherwise the range becomes one 64-bit hole.
     */
    @Test
    @Verifies({"S57", "S82", "S71", "S64"})
    void writeZeroesLongerThanFourGibibytes() throws Exception {
        try (TestServer server = bigServer();
             ExtendedClient c = ExtendedClient.open(server, "big", MetaContext.BASE_ALLOCATION)) {
            long length = FOUR_GIB + 65536;
            for (boolean noHole : new boolean[] {false, true}) {
                long start = noHole ? 8 * GIB : GIB;
                byte[] d = pattern(65536, noHole ? 4 : 5);
                c.write(start + 3 * GIB, d);
                int flags = noHole ? CommandFlag.NO_HOLE.bit : 0;
                assertSingleNone(c.call(c.req(flags, CommandType.WRITE_ZEROES, start, length)),
                        "WRITE_ZEROES " + (noHole ? "NO_HOLE" : ""));
                assertZeroes(c.read(start + 3 * GIB, d.length), "zeroed data");
                assertZeroes(c.read(start + length - 4096, 4096), "end of the range");
                List<Descriptor> ds = c.blockStatus(0, start, length);
                if (noHole) {
                    // the written page stays allocated (ZERO without HOLE); the never-written rest was a hole before
                    // and stays one: a memory export provisions nothing for zeroes (bounded memory)
                    assertEquals(List.of(new Descriptor(3 * GIB, HOLE_ZERO), new Descriptor(65536, MetaContext.STATE_ZERO),
                            new Descriptor(length - 3 * GIB - 65536, HOLE_ZERO)), ds, "NO_HOLE=true");
                } else {
                    assertEquals(List.of(new Descriptor(length, HOLE_ZERO)), ds, "NO_HOLE=false");
                }
            }
            c.disconnect();
        }
    }

    /**
     * A READ of 6 GiB + 128 KiB over a 6 GiB hole, 64 KiB of data and a 64 KiB hole: OFFSET_HOLE chunks (each with
     * a non-zero 32-bit size) cover the holes exactly, their sizes add up to 6 GiB + 64 KiB, the data chunk holds
     * the written bytes, and every chunk header echoes the request offset.
     */
    @Test
    @Verifies({"S48", "S71", "S87"})
    void readAcrossAHoleLongerThanFourGibibytes() throws Exception {
        try (TestServer server = bigServer();
             ExtendedClient c = ExtendedClient.open(server, "big")) {
            long start = 1 << 20;
            long dataAt = start + 6 * GIB;
            byte[] d = pattern(65536, 6);
            c.write(dataAt, d);
            long length = 6 * GIB + 2 * 65536;
            Reply rep = c.call(c.req(CommandType.READ, start, length));
            assertEquals(0, rep.error());
            long holeBytes = 0;
            for (Map.Entry<Long, Long> h : rep.holes().entrySet()) {
                assertTrue(h.getValue() > 0 && h.getValue() <= 0xFFFF_FFFFL, "32-bit hole size " + h);
                holeBytes += h.getValue();
            }
            assertTrue(rep.ofType(ReplyType.OFFSET_HOLE).size() >= 3, "a 6 GiB hole needs at least two chunks: "
                    + rep.chunks());
            assertEquals(6 * GIB + 65536, holeBytes, "hole sizes add up");
            assertEquals(1, rep.dataChunks().size(), "one data chunk: " + rep.chunks());
            assertEquals(dataAt, (long) rep.dataChunks().firstKey());
            assertBytes(d, rep.dataChunks().firstEntry().getValue(), "the written data");
            for (ExtendedClient.Chunk ch : rep.chunks()) assertEquals(start, ch.offset(), "S71: " + ch);
            c.disconnect();
        }
    }

    /**
     * BLOCK_STATUS over the whole 16 GiB export with one data page in the middle: descriptors carry lengths above
     * 2^32 exactly (hole, data, hole), and with REQ_ONE a 12 GiB request gets one descriptor no longer than it.
     */
    @Test
    @Verifies({"S64", "S65", "S66", "S71"})
    void blockStatusDescriptorsLongerThanFourGibibytes() throws Exception {
        try (TestServer server = bigServer();
             ExtendedClient c = ExtendedClient.open(server, "big", MetaContext.BASE_ALLOCATION)) {
            long dataAt = 10 * GIB;
            c.write(dataAt, pattern(65536, 7));
            assertEquals(List.of(new Descriptor(dataAt, HOLE_ZERO), new Descriptor(65536, 0),
                    new Descriptor(SIZE - dataAt - 65536, HOLE_ZERO)), c.blockStatus(0, 0, SIZE));
            List<Descriptor> one = c.blockStatus(CommandFlag.REQ_ONE.bit, 0, 12 * GIB);
            assertEquals(1, one.size());
            assertEquals(new Descriptor(dataAt, HOLE_ZERO), one.get(0));
            List<Descriptor> tail = c.blockStatus(CommandFlag.REQ_ONE.bit, dataAt + 65536, 5 * GIB);
            assertEquals(List.of(new Descriptor(5 * GIB, HOLE_ZERO)), tail, "REQ_ONE clipped to the request");
            c.disconnect();
        }
    }

    /**
     * The same export seen by a compact client (structured replies, no extended headers): requests are limited to
     * 32-bit lengths and status comes in 32-bit BLOCK_STATUS chunks, so holes of several GiB are described by
     * descriptors below 2^32 that are consecutive from the offset and match the allocation.
     */
    @Test
    @Verifies({"S64", "S66", "S71"})
    void compactClientsStillGetThirtyTwoBitDescriptors() throws Exception {
        try (TestServer server = bigServer()) {
            long dataAt = 10 * GIB;
            try (ExtendedClient x = ExtendedClient.open(server, "big")) {
                x.write(dataAt, pattern(65536, 8));
                x.disconnect();
            }
            try (TransmissionClient c = TransmissionClient.open(server, "big", TransmissionClient.Mode.BLOCK_STATUS)) {
                long length = 0xFFFF_F000L;
                for (long offset : new long[] {0, 8 * GIB}) {
                    List<TransmissionClient.Descriptor> ds = c.blockStatus(0, offset, length);
                    long pos = offset;
                    for (TransmissionClient.Descriptor d : ds) {
                        assertTrue(d.length() > 0 && d.length() < FOUR_GIB, "32-bit descriptor " + d);
                        boolean data = pos >= dataAt && pos < dataAt + 65536;
                        assertEquals(data ? 0 : HOLE_ZERO, d.flags(), "flags at " + pos + " in " + ds);
                        pos += d.length();
                    }
                    assertTrue(pos <= SIZE, "descriptors stay inside the export: " + ds);
                    if (offset == 8 * GIB) {
                        assertEquals(new TransmissionClient.Descriptor(2 * GIB, HOLE_ZERO), ds.get(0), "hole up to the data");
                        assertEquals(new TransmissionClient.Descriptor(65536, 0), ds.get(1), "the data page");
                    }
                }
                c.disconnect();
            }
        }
    }
}
