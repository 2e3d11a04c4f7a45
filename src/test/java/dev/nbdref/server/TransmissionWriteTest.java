package dev.nbdref.server;

import dev.nbdref.block.FileDevice;
import dev.nbdref.conformance.Violation;
import dev.nbdref.server.TransmissionClient.Descriptor;
import dev.nbdref.server.TransmissionClient.Mode;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.Level;
import dev.nbdref.spec.MetaContext;
import dev.nbdref.spec.TransmissionFlag;
import dev.nbdref.testing.Verifies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.nbdref.server.TransmissionClient.EINVAL;
import static dev.nbdref.server.TransmissionClient.assertBytes;
import static dev.nbdref.server.TransmissionClient.assertZeroes;
import static dev.nbdref.server.TransmissionClient.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Writing commands: WRITE with FUA, FLUSH, TRIM, WRITE_ZEROES (plain, NO_HOLE, FAST_ZERO), CACHE. */
class TransmissionWriteTest {
    private static final int KIB = 1024;
    private static final int HOLE_ZERO = MetaContext.STATE_HOLE | MetaContext.STATE_ZERO;

    /** SEND_FLUSH and SEND_FUA are advertised; a WRITE with FUA and a FLUSH with offset and length 0 succeed. */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S52", "S53", "S55"})
    void fuaWriteAndFlushSucceed(Mode mode) throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (TransmissionClient c = TransmissionClient.open(server, "disk", mode)) {
                assertTrue(c.advertised(TransmissionFlag.SEND_FLUSH));
                assertTrue(c.advertised(TransmissionFlag.SEND_FUA));
                byte[] data = pattern(5000, 11);
                assertEquals(0, c.errorOf(c.req(CommandFlag.FUA.bit, CommandType.WRITE, 777, data.length), data));
                c.write(10_000, pattern(100, 12));
                assertEquals(0, c.errorOf(c.req(CommandType.FLUSH, 0, 0)));
                assertEquals(0, c.errorOf(c.req(CommandFlag.FUA.bit, CommandType.FLUSH, 0, 0)));
                assertBytes(data, c.read(777, data.length), "FUA write");
                c.disconnect();
            }
            // FUA on WRITE is what it is for; only the FUA on FLUSH (which writes nothing) is noted, as a SHOULD.
            assertEquals(List.of("C21"), server.ruleIdsOf(1));
        }
    }

    /**
     * FUA is accepted on every command (S54); on commands that write nothing (READ, CACHE) the server records
     * C21 at SHOULD level and answers normally.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S54", "C21"})
    void fuaIsAcceptedOnEveryCommand(Mode mode) throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (TransmissionClient c = TransmissionClient.open(server, "disk", mode)) {
                int fua = CommandFlag.FUA.bit;
                byte[] data = pattern(512, 13);
                assertEquals(0, c.errorOf(c.req(fua, CommandType.WRITE, 0, 512), data));
                TransmissionClient.Reply read = c.call(c.req(fua, CommandType.READ, 0, 512));
                assertEquals(0, read.error(), "FUA on READ");
                assertBytes(data, read.data(), "FUA READ data");
                assertEquals(0, c.errorOf(c.req(fua, CommandType.TRIM, 4096, 4096)), "FUA on TRIM");
                assertEquals(0, c.errorOf(c.req(fua, CommandType.WRITE_ZEROES, 8192, 4096)), "FUA on WRITE_ZEROES");
                assertEquals(0, c.errorOf(c.req(fua, CommandType.CACHE, 0, 4096)), "FUA on CACHE");
                c.disconnect();
            }
            List<Violation> v = server.violationsOf(1);
            List<Violation> c21 = v.stream().filter(x -> x.requirementId().equals("C21")).toList();
            assertEquals(2, c21.size(), "C21 for READ and CACHE: " + v);
            c21.forEach(x -> assertEquals(Level.SHOULD, x.severity()));
            assertEquals(List.of("C21", "C21"), v.stream().map(Violation::requirementId).toList());
        }
    }

    /** FLUSH with a non-zero offset or length gets EINVAL and C31; the connection stays usable. */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"C31", "S70"})
    void flushWithNonZeroOffsetOrLengthIsEinval(Mode mode) throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (TransmissionClient c = TransmissionClient.open(server, "disk", mode)) {
                assertEquals(EINVAL, c.errorOf(c.req(CommandType.FLUSH, 4096, 0)));
                assertEquals(EINVAL, c.errorOf(c.req(CommandType.FLUSH, 0, 512)));
                c.assertUsable();
                c.disconnect();
            }
            assertEquals(List.of("C31", "C31"), server.ruleIdsOf(1));
        }
    }

    /** TRIM succeeds; on the memory device the trimmed range then reads as zeroes and is reported as a hole. */
    @Test
    @Verifies({"S64"})
    void trimSucceedsAndReadsBackZeroOnMemory() throws Exception {
        try (TestServer server = TestServer.standard();
             TransmissionClient c = TransmissionClient.open(server, "disk", Mode.BLOCK_STATUS)) {
            assertTrue(c.advertised(TransmissionFlag.SEND_TRIM));
            byte[] data = pattern(192 * KIB, 14);
            c.write(0, data);
            assertEquals(0, c.errorOf(c.req(CommandType.TRIM, 64 * KIB, 64 * KIB)));
            assertZeroes(c.read(64 * KIB, 64 * KIB), "trimmed");
            assertBytes(java.util.Arrays.copyOfRange(data, 0, 64 * KIB), c.read(0, 64 * KIB), "before the trim");
            assertBytes(java.util.Arrays.copyOfRange(data, 128 * KIB, 192 * KIB), c.read(128 * KIB, 64 * KIB),
                    "after the trim");
            List<Descriptor> d = c.blockStatus(0, 64 * KIB, 64 * KIB);
            assertEquals(new Descriptor(64 * KIB, HOLE_ZERO), d.get(0), "trimmed page is a hole: " + d);
            c.disconnect();
        }
    }

    /**
     * WRITE_ZEROES in all its forms (plain, NO_HOLE, FAST_ZERO, both, FUA) succeeds on the memory export and the
     * range reads back as zeroes, including unaligned ranges inside data; SEND_WRITE_ZEROES and SEND_FAST_ZERO are
     * advertised.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S57", "S58"})
    void writeZeroesReadsBackAsZeroes(Mode mode) throws Exception {
        try (TestServer server = TestServer.standard();
             TransmissionClient c = TransmissionClient.open(server, "disk", mode)) {
            assertTrue(c.advertised(TransmissionFlag.SEND_WRITE_ZEROES));
            assertTrue(c.advertised(TransmissionFlag.SEND_FAST_ZERO));
            int[] flagSets = {0, CommandFlag.NO_HOLE.bit, CommandFlag.FAST_ZERO.bit,
                    CommandFlag.NO_HOLE.bit | CommandFlag.FAST_ZERO.bit, CommandFlag.FUA.bit};
            for (int i = 0; i < flagSets.length; i++) {
                long base = i * 128L * KIB;
                byte[] data = pattern(128 * KIB, 20 + i);
                c.write(base, data);
                // an unaligned range crossing a page boundary, then a whole page
                assertEquals(0, c.errorOf(c.req(flagSets[i], CommandType.WRITE_ZEROES, base + 1000, 70_000)),
                        "flags 0x" + Integer.toHexString(flagSets[i]));
                byte[] expected = data.clone();
                java.util.Arrays.fill(expected, 1000, 71_000, (byte) 0);
                assertBytes(expected, c.read(base, 128 * KIB), "after WRITE_ZEROES flags 0x" + Integer.toHexString(flagSets[i]));
                assertEquals(0, c.errorOf(c.req(flagSets[i], CommandType.WRITE_ZEROES, base, 128 * KIB)));
                assertZeroes(c.read(base, 128 * KIB), "whole range zeroed with flags 0x" + Integer.toHexString(flagSets[i]));
            }
            c.disconnect();
        }
    }

    /**
     * On the memory export, WRITE_ZEROES without NO_HOLE may (and does) leave a hole, while with NO_HOLE the range
     * stays allocated: base:allocation reports HOLE|ZERO for the first and ZERO only for the second.
     */
    @Test
    @Verifies({"S57", "S67"})
    void writeZeroesNoHoleKeepsMemoryAllocated() throws Exception {
        try (TestServer server = TestServer.standard();
             TransmissionClient c = TransmissionClient.open(server, "disk", Mode.BLOCK_STATUS)) {
            c.write(0, pattern(128 * KIB, 30));
            assertEquals(0, c.errorOf(c.req(CommandType.WRITE_ZEROES, 0, 64 * KIB)));
            assertEquals(0, c.errorOf(c.req(CommandFlag.NO_HOLE.bit, CommandType.WRITE_ZEROES, 64 * KIB, 64 * KIB)));
            assertEquals(List.of(new Descriptor(64 * KIB, HOLE_ZERO)), c.blockStatus(0, 0, 64 * KIB), "plain: a hole");
            List<Descriptor> d = c.blockStatus(0, 64 * KIB, 64 * KIB);
            assertEquals(new Descriptor(64 * KIB, MetaContext.STATE_ZERO), d.get(0), "NO_HOLE: allocated zeroes " + d);
            assertZeroes(c.read(0, 128 * KIB), "zeroed");
            c.disconnect();
        }
    }

    /**
     * On a sparse file export, WRITE_ZEROES without NO_HOLE punches a hole (base:allocation reports HOLE|ZERO and the
     * file's blocks are released), while with NO_HOLE the blocks stay provisioned in the file; both read back zero.
     */
    @Test
    @Verifies({"S57", "S67"})
    void writeZeroesOnFileExportPunchesHoleUnlessNoHole(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sparse.img");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        Export export = new Export("file", null, FileDevice.open(file, false), false);
        try (TestServer server = new TestServer(List.of(export));
             TransmissionClient c = TransmissionClient.open(server, "file", Mode.BLOCK_STATUS)) {
            c.write(0, pattern(256 * KIB, 31));
            assertEquals(0, c.errorOf(c.req(CommandType.FLUSH, 0, 0)));
            long allocatedBefore = allocatedBytes(file);
            assumeTrue(allocatedBefore >= 256 * KIB, "the file system reports allocated blocks");
            List<Descriptor> before = c.blockStatus(0, 0, 256 * KIB);
            assumeTrue(before.get(0).flags() == 0, "the file system reports data through SEEK_DATA: " + before);

            // Without NO_HOLE: a hole, reported as such and released.
            assertEquals(0, c.errorOf(c.req(CommandType.WRITE_ZEROES, 0, 128 * KIB)));
            assertEquals(0, c.errorOf(c.req(CommandType.FLUSH, 0, 0)));
            List<Descriptor> punched = c.blockStatus(0, 0, 128 * KIB);
            assertEquals(new Descriptor(128 * KIB, HOLE_ZERO), punched.get(0), "plain WRITE_ZEROES: " + punched);
            long afterPunch = allocatedBytes(file);
            assertTrue(afterPunch <= allocatedBefore - 128 * KIB, "blocks released: " + allocatedBefore + " -> " + afterPunch);

            // With NO_HOLE: provisioned blocks stay (or become) allocated in the file.
            assertEquals(0, c.errorOf(c.req(CommandFlag.NO_HOLE.bit, CommandType.WRITE_ZEROES, 128 * KIB, 128 * KIB)));
            assertEquals(0, c.errorOf(c.req(CommandFlag.NO_HOLE.bit, CommandType.WRITE_ZEROES, 0, 64 * KIB)));
            assertEquals(0, c.errorOf(c.req(CommandType.FLUSH, 0, 0)));
            long afterNoHole = allocatedBytes(file);
            assertTrue(afterNoHole >= afterPunch + 64 * KIB,
                    "NO_HOLE keeps [128k,256k) and provisions [0,64k): " + afterPunch + " -> " + afterNoHole);
            // base:allocation may call provisioned-but-unwritten blocks a hole (spec: "MAY report a hole"), but
            // must say they read as zero.
            for (Descriptor d : c.blockStatus(0, 0, 256 * KIB)) {
                assertEquals(MetaContext.STATE_ZERO, d.flags() & MetaContext.STATE_ZERO, "zeroed range: " + d);
            }
            assertZeroes(c.read(0, 256 * KIB), "zeroed file range");
            c.disconnect();
        }
    }

    /** Bytes the file occupies on disk (st_blocks * 512), via stat(1). */
    private static long allocatedBytes(Path file) throws Exception {
        Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "stat finished");
        String[] out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim().split("\\s+");
        assumeTrue(p.exitValue() == 0 && out.length == 2, "stat(1) is available");
        return Long.parseLong(out[0]) * Long.parseLong(out[1]);
    }

    /** CACHE is advertised and succeeds, in range, with no effect on the data; with an unknown flag it is EINVAL. */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S60", "C19"})
    void cacheSucceedsAndRejectsUnknownFlags(Mode mode) throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (TransmissionClient c = TransmissionClient.open(server, "disk", mode)) {
                assertTrue(c.advertised(TransmissionFlag.SEND_CACHE));
                byte[] data = pattern(4096, 40);
                c.write(8192, data);
                assertEquals(0, c.errorOf(c.req(CommandType.CACHE, 0, 1 << 20)));
                assertEquals(0, c.errorOf(c.req(CommandType.CACHE, 8191, 2)));
                assertBytes(data, c.read(8192, 4096), "data after CACHE");
                assertEquals(EINVAL, c.errorOf(c.req(0x4000, CommandType.CACHE, 0, 4096)), "unknown flag");
                assertEquals(EINVAL, c.errorOf(c.req(CommandFlag.NO_HOLE.bit, CommandType.CACHE, 0, 4096)),
                        "flag of another command");
                assertEquals(EINVAL, c.errorOf(c.req(CommandType.CACHE, (1 << 20) - 1, 2)), "past EOF");
                c.assertUsable();
                c.disconnect();
            }
            assertEquals(List.of("C19", "C19", "C26"), server.ruleIdsOf(1));
        }
    }

    /**
     * Payload-less commands may ask for far more than the maximum payload: TRIM, CACHE and WRITE_ZEROES (plain,
     * NO_HOLE, FAST_ZERO) of 0xffffffff bytes on an 8 GiB export succeed without a disconnect (FAST_ZERO must not
     * answer EOVERFLOW), and the data around them is right.
     */
    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"SIMPLE", "STRUCTURED"})
    @Verifies({"S82", "S58", "S57", "C29"})
    void oversizedPayloadlessRequestsSucceed(Mode mode) throws Exception {
        long size = 8L << 30;
        long len = 0xFFFF_FFFFL;
        try (TestServer server = new TestServer(List.of(new Export("huge", null,
                new dev.nbdref.block.MemoryDevice(size), false)));
             TransmissionClient c = TransmissionClient.open(server, "huge", mode)) {
            byte[] data = pattern(4096, 50);
            long[] starts = {0, 1L << 32, size - len};
            int[] flags = {0, CommandFlag.NO_HOLE.bit, CommandFlag.FAST_ZERO.bit};
            for (int i = 0; i < starts.length; i++) {
                long at = starts[i] + 12_345;
                c.write(at, data);
                assertEquals(0, c.errorOf(c.req(flags[i], CommandType.WRITE_ZEROES, starts[i], len)),
                        "WRITE_ZEROES flags 0x" + Integer.toHexString(flags[i]));
                assertZeroes(c.read(at, 4096), "zeroed");
            }
            c.write(100, data);
            assertEquals(0, c.errorOf(c.req(CommandType.CACHE, 0, len)), "CACHE");
            assertBytes(data, c.read(100, 4096), "CACHE changes nothing");
            assertEquals(0, c.errorOf(c.req(CommandType.TRIM, 0, len)), "TRIM");
            assertEquals(0, c.errorOf(c.req(CommandType.TRIM, size - len, len)), "TRIM to the end");
            c.assertUsable();
            c.disconnect();
        }
    }
}
