package dev.nbdref.server;

import dev.nbdref.server.TransmissionClient.Mode;
import dev.nbdref.server.TransmissionClient.Reply;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.ReplyType;
import dev.nbdref.spec.TransmissionFlag;
import dev.nbdref.testing.Verifies;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import static dev.nbdref.server.TransmissionClient.ENOSPC;
import static dev.nbdref.server.TransmissionClient.assertBytes;
import static dev.nbdref.server.TransmissionClient.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Failures of the device behind an export, as the client sees them (error values S70, READ error rules S47/S49). */
class TransmissionDeviceErrorsTest {
    private static final int EIO = 5;
    private static final int ENOTSUP = 95;
    private static final int MIB = 1024 * 1024;

    private static TestServer serverFor(TransmissionFaultyDevice device) throws Exception {
        return new TestServer(List.of(new Export("faulty", null, device, false)));
    }

    /** A 16 MiB device that works until a test tells it to fail. */
    private static TransmissionFaultyDevice faultyDevice() {
        return new TransmissionFaultyDevice(16L * MIB);
    }

    /** Enters the only export, backed by {@code dev}, in {@code mode}; runs {@code steps}, then disconnects. */
    private static void onFaultyExport(TransmissionFaultyDevice dev, Mode mode, TransmissionClient.Steps steps)
            throws Exception {
        try (TestServer server = serverFor(dev);
             TransmissionClient c = TransmissionClient.open(server, "faulty", mode)) {
            steps.run(c);
            c.disconnect();
        }
    }

    /** A failing READ with simple replies gets EIO in the header and no payload; the stream stays in sync. */
    @Test
    @Verifies({"S47", "S55", "S70"})
    void simpleReadErrorIsEioWithoutPayload() throws Exception {
        TransmissionFaultyDevice dev = faultyDevice();
        onFaultyExport(dev, Mode.SIMPLE, c -> {
            c.write(0, pattern(8192, 1));
            dev.failRange(4096, 4097);
            Reply r = c.call(c.req(CommandType.READ, 0, 8192));
            assertEquals(EIO, r.error());
            assertNull(r.data());
            assertBytes(Arrays.copyOf(pattern(8192, 1), 4096), c.read(0, 4096), "the good part still reads");
        });
    }

    /**
     * A structured READ of 8 MiB of data failing at 5 MiB: the content chunks before the failure are complete and
     * in range, then an ERROR_OFFSET chunk whose offset lies inside the request and after every byte sent as
     * data; DONE only on the last chunk; no content after the error overlaps it.
     */
    @Test
    @Verifies({"S49", "S43", "S46", "S42", "S48"})
    void structuredReadErrorIsAnErrorOffsetChunkAfterCompleteContent() throws Exception {
        TransmissionFaultyDevice dev = faultyDevice();
        onFaultyExport(dev, Mode.STRUCTURED, c -> {
            byte[] data = pattern(8 * MIB, 2);
            c.write(0, data);
            dev.failRange(5L * MIB, 5L * MIB + 1);
            Request r = c.req(CommandType.READ, 0, 8 * MIB);
            Reply rep = c.call(r); // decodeStructured: DONE last, placement, error layout
            assertEquals(EIO, rep.error());
            List<RawClient.Chunk> errors = rep.chunks().stream().filter(ch -> (ch.type() & 0x8000) != 0).toList();
            assertEquals(1, errors.size());
            RawClient.Chunk err = errors.get(0);
            assertEquals(ReplyType.ERROR_OFFSET.value, err.type());
            ByteBuffer b = err.body();
            b.getInt();
            int msglen = Short.toUnsignedInt(b.getShort());
            b.position(6 + msglen);
            long errorAt = b.getLong();
            assertTrue(errorAt <= 5L * MIB, "the error offset is at or before the failing byte: " + errorAt);
            for (RawClient.Chunk ch : rep.contentChunks()) {
                ByteBuffer p = ch.body();
                long off = p.getLong();
                long n = ch.type() == ReplyType.OFFSET_DATA.value ? ch.payload().length - 8 : p.getInt();
                assertTrue(off + n <= errorAt || off >= 5L * MIB + 1, "content chunk over the failure: " + off);
                if (ch.type() == ReplyType.OFFSET_DATA.value) {
                    byte[] got = Arrays.copyOfRange(ch.payload(), 8, ch.payload().length);
                    assertBytes(Arrays.copyOfRange(data, (int) off, (int) (off + n)), got, "data before the error");
                }
            }
            dev.failRange(-1, -1);
            assertBytes(data, c.read(0, 8 * MIB), "reads work again");
        });
    }

    /** A DF read that fails sends no content chunk, only an error. */
    @Test
    @Verifies({"S50", "S46"})
    void dontFragmentReadErrorHasNoContent() throws Exception {
        TransmissionFaultyDevice dev = faultyDevice();
        onFaultyExport(dev, Mode.STRUCTURED, c -> {
            c.write(0, pattern(65536, 3));
            dev.failRange(100, 101);
            Reply rep = c.call(c.req(CommandFlag.DF.bit, CommandType.READ, 0, 65536));
            assertEquals(EIO, rep.error());
            assertEquals(List.of(), rep.contentChunks());
        });
    }

    /**
     * Device failures on writing commands set the error field: WRITE EIO, WRITE out of space ENOSPC (never EIO),
     * WRITE_ZEROES and TRIM EIO, FLUSH EIO; the connection stays usable.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S55", "S70", "S52"})
    void writingCommandFailuresSetTheErrorField(Mode mode) throws Exception {
        TransmissionFaultyDevice dev = faultyDevice();
        onFaultyExport(dev, mode, c -> {
            dev.failRange(MIB, 2L * MIB);
            assertEquals(EIO, c.errorOf(c.req(CommandType.WRITE, MIB, 4096), pattern(4096, 4)), "WRITE");
            assertEquals(EIO, c.errorOf(c.req(CommandType.WRITE_ZEROES, MIB, 4096)), "WRITE_ZEROES");
            assertEquals(EIO, c.errorOf(c.req(CommandType.TRIM, MIB, 4096)), "TRIM");
            dev.noSpace = true;
            assertEquals(ENOSPC, c.errorOf(c.req(CommandType.WRITE, MIB, 4096), pattern(4096, 5)), "WRITE, no space");
            dev.failFlush = true;
            assertEquals(EIO, c.errorOf(c.req(CommandType.FLUSH, 0, 0)), "FLUSH");
            dev.failFlush = false;
            c.assertUsable();
        });
    }

    /**
     * FAST_ZERO where zeroing is not fast: ENOTSUP with the data untouched; the same request without FAST_ZERO
     * succeeds (never ENOTSUP).
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S58", "S81"})
    void fastZeroThatCannotBeFastIsEnotsupAndChangesNothing(Mode mode) throws Exception {
        TransmissionFaultyDevice dev = faultyDevice();
        dev.fastZeroUnsupported = true;
        onFaultyExport(dev, mode, c -> {
            assertTrue(c.advertised(TransmissionFlag.SEND_FAST_ZERO));
            byte[] data = pattern(8192, 6);
            c.write(0, data);
            assertEquals(ENOTSUP, c.errorOf(c.req(CommandFlag.FAST_ZERO.bit, CommandType.WRITE_ZEROES, 0, 8192)));
            assertBytes(data, c.read(0, 8192), "untouched after ENOTSUP");
            assertEquals(0, c.errorOf(c.req(CommandType.WRITE_ZEROES, 0, 8192)), "without FAST_ZERO");
            TransmissionClient.assertZeroes(c.read(0, 8192), "zeroed");
        });
    }

    /** BLOCK_STATUS when the device cannot report allocation gets an error chunk (EIO), not a broken reply. */
    @Test
    @Verifies({"S63", "S46"})
    void blockStatusDeviceErrorIsAnErrorChunk() throws Exception {
        TransmissionFaultyDevice dev = faultyDevice();
        onFaultyExport(dev, Mode.BLOCK_STATUS, c -> {
            dev.failExtents = true;
            Reply rep = c.call(c.req(CommandType.BLOCK_STATUS, 0, MIB));
            assertEquals(EIO, rep.error());
            assertTrue(rep.status().isEmpty(), "no status chunk with the error");
            // a structured READ falls back to reading everything as data
            c.write(0, pattern(4096, 7));
            assertBytes(pattern(4096, 7), c.read(0, 4096), "READ without extents");
            dev.failExtents = false;
            assertTrue(!c.blockStatus(0, 0, MIB).isEmpty(), "status works again");
        });
    }

    /**
     * A large simple READ (8 MiB) whose failure is detected only after a zero-error header went out: the server
     * must hard-disconnect at once, so the client gets the header, fewer than 8 MiB of data, then the end of the
     * stream, and never a second header or reply.
     */
    @Test
    @Verifies({"S47"})
    void simpleReadFailingAfterTheHeaderIsAHardDisconnect() throws Exception {
        TransmissionFaultyDevice dev = faultyDevice();
        try (TestServer server = serverFor(dev);
             TransmissionClient c = TransmissionClient.open(server, "faulty", Mode.SIMPLE)) {
            c.write(0, pattern(8 * MIB, 8));
            dev.failRange(7L * MIB, 7L * MIB + 1);
            Request r = c.req(CommandType.READ, 0, 8 * MIB);
            c.send(r);
            RawClient.SimpleReply h = c.raw.readSimpleReply();
            if (h.error() != 0) {
                // The server found the error before committing to a header: also fine, and then it must not close.
                assertEquals(EIO, h.error());
                c.assertUsable();
                c.disconnect();
                return;
            }
            assertEquals(r.cookie(), h.cookie());
            byte[] expected = pattern(8 * MIB, 8);
            int piece = 64 * 1024;
            int pieces = 0;
            try {
                while (pieces < 8 * MIB / piece) {
                    byte[] b = c.raw.readExactly(piece);
                    int at = pieces * piece;
                    if (at + piece <= 7 * MIB) {
                        assertBytes(java.util.Arrays.copyOfRange(expected, at, at + piece), b, "data before the failure");
                    }
                    pieces++;
                }
                org.junit.jupiter.api.Assertions.fail("all 8 MiB arrived although reading byte 7 MiB failed");
            } catch (java.io.EOFException | java.net.SocketException closed) {
                // the hard disconnect: expected
            }
            assertTrue((long) pieces * piece < 8L * MIB);
        }
    }

    /** A large simple READ that fails in its first piece gets EIO and no payload; the connection stays usable. */
    @Test
    @Verifies({"S47", "S70"})
    void largeSimpleReadFailingAtOnceIsEio() throws Exception {
        TransmissionFaultyDevice dev = faultyDevice();
        onFaultyExport(dev, Mode.SIMPLE, c -> {
            dev.failRange(0, 1);
            Reply r = c.call(c.req(CommandType.READ, 0, 8 * MIB));
            assertEquals(EIO, r.error());
            assertNull(r.data());
            dev.failRange(-1, -1);
            c.assertUsable();
        });
    }
}
