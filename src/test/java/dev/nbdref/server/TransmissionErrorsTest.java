package dev.nbdref.server;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.server.TransmissionClient.Mode;
import dev.nbdref.server.TransmissionClient.Reply;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.InfoType;
import dev.nbdref.spec.TransmissionFlag;
import dev.nbdref.testing.Verifies;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.util.List;

import static dev.nbdref.server.TransmissionClient.EINVAL;
import static dev.nbdref.server.TransmissionClient.ENOSPC;
import static dev.nbdref.server.TransmissionClient.EPERM;
import static dev.nbdref.server.TransmissionClient.assertBytes;
import static dev.nbdref.server.TransmissionClient.assertZeroes;
import static dev.nbdref.server.TransmissionClient.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every refused request: the exact error value, the rule recorded against the client, and that the connection
 * (and the byte stream, for refused WRITEs whose payload must be skipped) stays usable afterwards.
 */
class TransmissionErrorsTest {
    private static final int MIB = 1024 * 1024;
    private static final int DISK = 1 << 20;

    /** How a test enters transmission on the server it is given. */
    @FunctionalInterface
    private interface Opener {
        TransmissionClient open(TestServer server) throws Exception;
    }

    /** The exports of {@link TestServer#standard()}, with a 512-byte minimum block size. */
    private static TestServer minimumBlock512Server() throws Exception {
        return new TestServer(List.of(new Export("disk", "a test disk", new MemoryDevice(DISK), false),
                new Export("ro", null, new MemoryDevice(DISK), true)),
                c -> c.withSizes(SizeConstraints.withMinimum(512)));
    }

    /** One 64 MiB export "big", large enough to hold a payload over the 32 MiB maximum. */
    private static TestServer bigServer() throws Exception {
        return new TestServer(List.of(new Export("big", null, new MemoryDevice(64L * MIB), false)));
    }

    /**
     * Runs {@code steps} on a client {@code opener} put into transmission on {@code server}, then sends DISC (the
     * server must close) and returns the rules the connection was found to break, once it has ended. Closes the
     * server.
     */
    private static List<String> rulesBroken(TestServer server, Opener opener, TransmissionClient.Steps steps)
            throws Exception {
        try (server) {
            try (TransmissionClient c = opener.open(server)) {
                steps.run(c);
                c.disconnect();
            }
            return server.ruleIdsOf(1);
        }
    }

    /** {@link #rulesBroken}, asserting the connection broke exactly {@code ruleIds}, in order. */
    private static void assertBreaks(List<String> ruleIds, TestServer server, Opener opener,
                                     TransmissionClient.Steps steps) throws Exception {
        assertEquals(ruleIds, rulesBroken(server, opener, steps));
    }

    /** {@link #assertBreaks} on the "disk" export of a fresh {@link TestServer#standard()}. */
    private static void assertBreaksOnDisk(List<String> ruleIds, Mode mode, TransmissionClient.Steps steps)
            throws Exception {
        assertBreaks(ruleIds, TestServer.standard(), disk(mode), steps);
    }

    private static Opener disk(Mode mode) { return s -> TransmissionClient.open(s, "disk", mode); }

    /** An unknown command type (99) gets EINVAL and C34, and the connection keeps serving. */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S70", "C34"})
    void unknownCommandTypeIsEinval(Mode mode) throws Exception {
        assertBreaksOnDisk(List.of("C34", "C34"), mode, c -> {
            assertEquals(EINVAL, c.errorOf(new Request(0, 99, c.cookie(), 0, 4096)));
            assertEquals(EINVAL, c.errorOf(new Request(0, 0xFFFF, c.cookie(), 0, 0)));
            c.assertUsable();
        });
    }

    /**
     * An undefined command flag (0x8000) gets EINVAL and C19, on a READ and on a WRITE whose payload the server
     * must still consume (the next request parses, and the refused data was not written).
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S70", "C19", "S41"})
    void unknownCommandFlagIsEinval(Mode mode) throws Exception {
        assertBreaksOnDisk(List.of("C19", "C19", "C19"), mode, c -> {
            assertEquals(EINVAL, c.errorOf(c.req(0x8000, CommandType.READ, 0, 4096)));
            assertEquals(EINVAL, c.errorOf(c.req(0x8000, CommandType.WRITE, 0, 4096), pattern(4096, 1)));
            assertEquals(EINVAL, c.errorOf(c.req(0x0040, CommandType.FLUSH, 0, 0)));
            c.assertUsable();
            assertZeroes(c.read(0, 4096), "the refused WRITE changed nothing");
        });
    }

    /**
     * Defined flags on the wrong command are EINVAL and C19: NO_HOLE on WRITE (payload skipped), REQ_ONE on READ,
     * DF on WRITE, FAST_ZERO on TRIM.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S70", "C19"})
    void flagOfAnotherCommandIsEinval(Mode mode) throws Exception {
        assertBreaksOnDisk(List.of("C19", "C19", "C19", "C19"), mode, c -> {
            assertEquals(EINVAL, c.errorOf(c.req(CommandFlag.NO_HOLE.bit, CommandType.WRITE, 512, 1000),
                    pattern(1000, 2)));
            assertEquals(EINVAL, c.errorOf(c.req(CommandFlag.REQ_ONE.bit, CommandType.READ, 0, 512)));
            assertEquals(EINVAL, c.errorOf(c.req(CommandFlag.DF.bit, CommandType.WRITE, 0, 10), pattern(10, 3)));
            assertEquals(EINVAL, c.errorOf(c.req(CommandFlag.FAST_ZERO.bit, CommandType.TRIM, 0, 4096)));
            c.assertUsable();
            assertZeroes(c.read(0, 4096), "refused WRITEs changed nothing");
        });
    }

    /** Without structured replies SEND_DF is not advertised, so DF on a READ is EINVAL and C20. */
    @Test
    @Verifies({"S62", "C20"})
    void dontFragmentWithoutStructuredRepliesIsEinval() throws Exception {
        assertBreaksOnDisk(List.of("C20"), Mode.SIMPLE, c -> {
            assertFalse(c.advertised(TransmissionFlag.SEND_DF));
            Reply r = c.call(c.req(CommandFlag.DF.bit, CommandType.READ, 0, 512));
            assertEquals(EINVAL, r.error());
            assertNull(r.data(), "no payload after an error");
            c.assertUsable();
        });
    }

    /**
     * Ranges past the end: READ, TRIM and CACHE get EINVAL; WRITE (payload consumed) and WRITE_ZEROES get ENOSPC;
     * all record C26 and nothing inside the export changes.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S70", "S80", "C26"})
    void requestsPastTheEndAreRefused(Mode mode) throws Exception {
        assertBreaksOnDisk(List.of("C26", "C26", "C26", "C26", "C26", "C26"), mode, c -> {
            assertEquals(DISK, c.size);
            assertEquals(EINVAL, c.errorOf(c.req(CommandType.READ, DISK - 100, 200)), "READ straddling the end");
            assertEquals(EINVAL, c.errorOf(c.req(CommandType.READ, DISK, 1)), "READ just past the end");
            assertEquals(ENOSPC, c.errorOf(c.req(CommandType.WRITE, DISK - 100, 200), pattern(200, 4)),
                    "WRITE straddling the end");
            assertEquals(ENOSPC, c.errorOf(c.req(CommandType.WRITE_ZEROES, DISK - 100, 200)), "WRITE_ZEROES");
            assertEquals(EINVAL, c.errorOf(c.req(CommandType.TRIM, DISK - 100, 200)), "TRIM");
            assertEquals(EINVAL, c.errorOf(c.req(CommandType.CACHE, DISK, 4096)), "CACHE");
            c.assertUsable();
            assertZeroes(c.read(DISK - 100, 100), "the refused WRITE wrote nothing inside the export");
        });
    }

    /**
     * Offsets near 2^64 whose end overflows 64 bits are refused like any range past the end (EINVAL, or ENOSPC
     * for writes), without a crash or a disconnect.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S70", "C26", "S69"})
    void offsetsNearTwoToTheSixtyFourAreRefused(Mode mode) throws Exception {
        List<String> broken = rulesBroken(TestServer.standard(), disk(mode), c -> {
            long[] offsets = {-1L, -512L, Long.MIN_VALUE, Long.MAX_VALUE, -4096L + 1};
            for (long off : offsets) {
                String at = "offset " + Long.toUnsignedString(off);
                assertEquals(EINVAL, c.errorOf(c.req(CommandType.READ, off, 4096)), "READ " + at);
                assertEquals(EINVAL, c.errorOf(c.req(CommandType.READ, off, 1)), "READ 1 byte " + at);
                assertEquals(EINVAL, c.errorOf(c.req(CommandType.TRIM, off, 0xFFFF_FFFFL)), "TRIM " + at);
                assertEquals(EINVAL, c.errorOf(c.req(CommandType.CACHE, off, 4096)), "CACHE " + at);
                assertEquals(ENOSPC, c.errorOf(c.req(CommandType.WRITE, off, 4096), pattern(4096, 5)), "WRITE " + at);
                assertEquals(ENOSPC, c.errorOf(c.req(CommandType.WRITE_ZEROES, off, 0xFFFF_FFFFL)),
                        "WRITE_ZEROES " + at);
            }
            c.assertUsable();
            assertZeroes(c.read(0, DISK), "nothing was written anywhere");
        });
        assertTrue(broken.stream().allMatch("C26"::equals), broken.toString());
    }

    /**
     * On the read-only export (READ_ONLY advertised, no TRIM or WRITE_ZEROES) a WRITE gets EPERM and C35 with its
     * payload skipped; TRIM and WRITE_ZEROES get EPERM; the data is untouched and the connection stays usable.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S56", "S62", "C35", "C22"})
    void writingCommandsOnReadOnlyExportAreEperm(Mode mode) throws Exception {
        Opener readOnly = s -> TransmissionClient.open(s, "ro", mode);
        assertBreaks(List.of("C35", "C35", "C22", "C22"), TestServer.standard(), readOnly, c -> {
            assertTrue(c.advertised(TransmissionFlag.READ_ONLY));
            assertFalse(c.advertised(TransmissionFlag.SEND_TRIM));
            assertFalse(c.advertised(TransmissionFlag.SEND_WRITE_ZEROES));
            assertEquals(EPERM, c.errorOf(c.req(CommandType.WRITE, 0, 4096), pattern(4096, 6)), "WRITE");
            assertEquals(EPERM, c.errorOf(c.req(CommandFlag.FUA.bit, CommandType.WRITE, 100, 1), new byte[] {7}),
                    "FUA WRITE");
            assertEquals(EPERM, c.errorOf(c.req(CommandType.TRIM, 0, 4096)), "TRIM");
            assertEquals(EPERM, c.errorOf(c.req(CommandType.WRITE_ZEROES, 0, 4096)), "WRITE_ZEROES");
            c.assertUsable();
            assertZeroes(c.read(0, 4096), "read-only data untouched");
        });
    }

    /** Zero-length TRIM, WRITE_ZEROES and CACHE succeed without a disconnect, and are noted as C30. */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S83", "C30"})
    void zeroLengthPayloadlessCommandsDoNotDisconnect(Mode mode) throws Exception {
        assertBreaksOnDisk(List.of("C30", "C30", "C30"), mode, c -> {
            c.write(0, pattern(512, 8));
            assertEquals(0, c.errorOf(c.req(CommandType.TRIM, 0, 0)));
            assertEquals(0, c.errorOf(c.req(CommandType.WRITE_ZEROES, 0, 0)));
            assertEquals(0, c.errorOf(c.req(CommandType.CACHE, 0, 0)));
            assertBytes(pattern(512, 8), c.read(0, 512), "zero-length commands changed nothing");
        });
    }

    /**
     * BLOCK_STATUS without a metadata context is EINVAL and C24: with simple replies (no SET possible) and with
     * structured replies but no SET_META_CONTEXT.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S68", "C24"})
    void blockStatusWithoutMetaContextIsEinval(Mode mode) throws Exception {
        assertBreaksOnDisk(List.of("C24"), mode, c -> {
            assertEquals(EINVAL, c.errorOf(c.req(CommandType.BLOCK_STATUS, 0, 4096)));
            c.assertUsable();
        });
    }

    /** base:allocation selected for "ro" does not carry over to a GO for "disk": BLOCK_STATUS there is EINVAL and C24. */
    @Test
    @Verifies({"S68", "C24"})
    void blockStatusWithContextForAnotherExportIsEinval() throws Exception {
        Opener contextForRo = s -> TransmissionClient.open(s, "ro", "disk", Mode.BLOCK_STATUS);
        assertBreaks(List.of("C24"), TestServer.standard(), contextForRo, c -> {
            assertEquals(EINVAL, c.errorOf(c.req(CommandType.BLOCK_STATUS, 0, 4096)));
            c.assertUsable();
        });
    }

    /**
     * A WRITE larger than the 32 MiB maximum payload (33 MiB, on an export big enough to hold it, payload really
     * sent) gets EINVAL and C28; the payload is skipped, so the stream stays in sync and nothing is written.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"C28", "S79", "S80"})
    void writeLargerThanMaximumPayloadIsEinvalAndSkipped(Mode mode) throws Exception {
        assertBreaks(List.of("C28"), bigServer(), s -> TransmissionClient.open(s, "big", mode), c -> {
            byte[] big = new byte[33 * MIB];
            java.util.Arrays.fill(big, (byte) 0x5A);
            assertEquals(EINVAL, c.errorOf(c.req(CommandType.WRITE, 0, big.length), big));
            c.assertUsable();
            assertZeroes(c.read(0, 4096), "the refused payload was not written");
            assertZeroes(c.read(33 * MIB - 4096, 4096), "the refused payload was not written (end)");
            // exactly the maximum payload is fine
            byte[] max = pattern(32 * MIB, 9);
            c.write(0, max);
            assertBytes(max, c.read(0, 32 * MIB), "a 32 MiB write");
        });
    }

    /** Without structured replies a READ longer than the maximum payload is EINVAL and C28, with no data. */
    @Test
    @Verifies({"C28", "S47"})
    void simpleReadLargerThanMaximumPayloadIsEinval() throws Exception {
        assertBreaks(List.of("C28"), bigServer(), s -> TransmissionClient.open(s, "big", Mode.SIMPLE), c -> {
            Reply r = c.call(c.req(CommandType.READ, 0, 33 * MIB));
            assertEquals(EINVAL, r.error());
            assertNull(r.data());
            c.assertUsable();
        });
    }

    /** A request header with a wrong magic cannot be resynchronised: the server closes without replying and records C18. */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"C18", "S69"})
    void badRequestMagicClosesTheConnection(Mode mode) throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (TransmissionClient c = TransmissionClient.open(server, "disk", mode)) {
                c.assertUsable();
                byte[] header = c.req(CommandType.READ, 0, 512).encodeCompact();
                ByteBuffer.wrap(header).putInt(0x12345678);
                c.raw.send(header);
                c.raw.assertClosedByServer();
            }
            assertEquals(List.of("C18"), server.ruleIdsOf(1));
        }
    }

    /**
     * With a 512-byte minimum block and NBD_INFO_BLOCK_SIZE requested in GO, an unaligned READ (offset or length)
     * or WRITE (payload skipped) is EINVAL and C27; aligned requests work.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"C27", "S78", "S80"})
    void unalignedRequestAfterAgreeingBlockSizeIsEinvalAndC27(Mode mode) throws Exception {
        Opener withBlockSize = s -> TransmissionClient.open(s, "disk", mode, InfoType.BLOCK_SIZE.value);
        assertBreaks(List.of("C27", "C27", "C27"), minimumBlock512Server(), withBlockSize, c -> {
            assertEquals(EINVAL, c.errorOf(c.req(CommandType.READ, 100, 512)), "unaligned offset");
            assertEquals(EINVAL, c.errorOf(c.req(CommandType.READ, 512, 100)), "unaligned length");
            assertEquals(EINVAL, c.errorOf(c.req(CommandType.WRITE, 1, 512), pattern(512, 10)), "unaligned WRITE");
            byte[] data = pattern(1024, 11);
            c.write(512, data);
            assertBytes(data, c.read(512, 1024), "aligned I/O");
        });
    }

    /**
     * With a 512-byte minimum block but no BLOCK_SIZE request in GO, an unaligned READ is still refused cleanly
     * with EINVAL (the server must not corrupt data), but the client broke no rule: no C27 is recorded.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S78", "S80"})
    void unalignedRequestWithoutAgreeingBlockSizeIsEinvalWithoutC27(Mode mode) throws Exception {
        assertBreaks(List.of(), minimumBlock512Server(), disk(mode), c -> {
            assertEquals(EINVAL, c.errorOf(c.req(CommandType.READ, 100, 512)), "unaligned offset");
            assertEquals(EINVAL, c.errorOf(c.req(CommandType.WRITE, 512, 3), new byte[] {1, 2, 3}), "unaligned WRITE");
            c.assertUsable();
            assertZeroes(c.read(512, 512), "refused WRITE wrote nothing");
        });
    }

}
