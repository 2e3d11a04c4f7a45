package dev.nbdref.server;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.server.TransmissionClient.Descriptor;
import dev.nbdref.server.TransmissionClient.Mode;
import dev.nbdref.server.TransmissionClient.Reply;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.MetaContext;
import dev.nbdref.spec.ReplyType;
import dev.nbdref.testing.Verifies;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.nbdref.server.TransmissionClient.EINVAL;
import static dev.nbdref.server.TransmissionClient.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** NBD_CMD_BLOCK_STATUS with base:allocation: chunk per context, descriptor shape, REQ_ONE, errors. */
class TransmissionBlockStatusTest {
    private static final int KIB = 1024;
    private static final int DISK = 1 << 20;
    private static final int HOLE_ZERO = MetaContext.STATE_HOLE | MetaContext.STATE_ZERO;

    /**
     * Checks a descriptor list against the spec and an allocation model: consecutive from the request offset,
     * non-zero, only HOLE and ZERO bits, the first N-1 summing to less than the request length (S66), each
     * descriptor's flags matching the model (0 for written data, HOLE|ZERO for never-written space).
     */
    private static void assertDescribes(List<Descriptor> ds, long offset, long length, boolean[] dataPages, int page) {
        assertTrue(!ds.isEmpty(), "S64: at least one descriptor");
        long pos = offset;
        for (int i = 0; i < ds.size(); i++) {
            Descriptor d = ds.get(i);
            assertTrue(d.length() > 0, "S64: descriptor " + i + " is empty");
            assertEquals(0, d.flags() & ~HOLE_ZERO, "S67: reserved base:allocation bits set in " + d);
            if (i < ds.size() - 1) {
                assertTrue(pos + d.length() - offset < length, "S66: only the last descriptor may reach the end: " + ds);
            }
            long end = Math.min(pos + d.length(), DISK);
            for (long p = pos; p < end; p += page - (p % page)) {
                int expected = dataPages[(int) (p / page)] ? 0 : HOLE_ZERO;
                assertEquals(expected, d.flags(), "flags of " + d + " at " + p + " in " + ds);
            }
            pos += d.length();
        }
        assertTrue(pos <= DISK, "descriptors run past the export end: " + ds);
    }

    /**
     * After writing [0,64k) of "disk", a status request for the whole export is one BLOCK_STATUS chunk (DONE)
     * with the negotiated context id whose descriptors are (64k, data = 0) then (960k, HOLE|ZERO).
     */
    @Test
    @Verifies({"S63", "S64", "S66", "S67", "S42"})
    void wholeExportStatusAfterWritingTheFirstPage() throws Exception {
        try (TestServer server = TestServer.standard();
             TransmissionClient c = TransmissionClient.open(server, "disk", Mode.BLOCK_STATUS)) {
            c.write(0, pattern(64 * KIB, 1));
            Reply rep = c.call(c.req(CommandType.BLOCK_STATUS, 0, DISK));
            assertEquals(1, rep.chunks().size(), "S63: exactly one chunk for one context");
            assertEquals(ReplyType.BLOCK_STATUS.value, rep.chunks().get(0).type());
            assertTrue(rep.chunks().get(0).done());
            List<Descriptor> ds = rep.status().get(c.contextId);
            assertEquals(List.of(new Descriptor(64 * KIB, 0), new Descriptor(DISK - 64 * KIB, HOLE_ZERO)), ds);
            c.disconnect();
        }
    }

    /**
     * With alternating data and holes, descriptors for many request ranges (aligned and not) start at the
     * request offset, are consecutive and non-empty, and match the allocation; only the last may pass the end.
     */
    @Test
    @Verifies({"S64", "S66", "S67"})
    void descriptorsAreConsecutiveFromTheOffsetAndMatchAllocation() throws Exception {
        int page = 64 * KIB;
        boolean[] dataPages = new boolean[DISK / page];
        try (TestServer server = TestServer.standard();
             TransmissionClient c = TransmissionClient.open(server, "disk", Mode.BLOCK_STATUS)) {
            for (int p : new int[] {0, 2, 3, 7, 8, 9, 15}) {
                c.write((long) p * page, pattern(page, p));
                dataPages[p] = true;
            }
            long[][] ranges = {{0, DISK}, {1, DISK - 1}, {page - 1, 2}, {100_000, 300_000}, {5 * page, page},
                    {15 * page + 1, page - 1}, {4 * page + 17, 5 * page}, {DISK - 1, 1}};
            for (long[] r : ranges) {
                List<Descriptor> ds = c.blockStatus(0, r[0], r[1]);
                assertDescribes(ds, r[0], r[1], dataPages, page);
            }
            c.disconnect();
        }
    }

    /**
     * With REQ_ONE each reply has exactly one descriptor, no longer than the request, starting at the offset and
     * describing it correctly (data or hole).
     */
    @Test
    @Verifies({"S65", "S64", "S67"})
    void reqOneGivesExactlyOneDescriptorWithinTheRequest() throws Exception {
        try (TestServer server = TestServer.standard();
             TransmissionClient c = TransmissionClient.open(server, "disk", Mode.BLOCK_STATUS)) {
            c.write(0, pattern(64 * KIB, 2));
            int one = CommandFlag.REQ_ONE.bit;
            assertEquals(List.of(new Descriptor(4096, 0)), c.blockStatus(one, 0, 4096), "inside data");
            assertEquals(List.of(new Descriptor(32 * KIB, 0)), c.blockStatus(one, 32 * KIB, DISK - 32 * KIB),
                    "data up to the first hole");
            assertEquals(List.of(new Descriptor(10, HOLE_ZERO)), c.blockStatus(one, 100_000, 10), "inside a hole");
            List<Descriptor> whole = c.blockStatus(one, 64 * KIB, DISK - 64 * KIB);
            assertEquals(1, whole.size());
            assertTrue(whole.get(0).length() <= DISK - 64 * KIB);
            assertEquals(HOLE_ZERO, whole.get(0).flags());
            List<Descriptor> tail = c.blockStatus(one, DISK - 1, 1);
            assertEquals(List.of(new Descriptor(1, HOLE_ZERO)), tail, "the last byte");
            c.disconnect();
        }
    }

    /** BLOCK_STATUS past the end is EINVAL (C26), a zero length is EINVAL without a disconnect; the connection works after. */
    @Test
    @Verifies({"S68", "S83", "C26", "C30"})
    void blockStatusPastTheEndOrEmptyIsEinval() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (TransmissionClient c = TransmissionClient.open(server, "disk", Mode.BLOCK_STATUS)) {
                assertEquals(EINVAL, c.errorOf(c.req(CommandType.BLOCK_STATUS, DISK - 512, 1024)), "straddling");
                assertEquals(EINVAL, c.errorOf(c.req(CommandType.BLOCK_STATUS, DISK, 1)), "just past");
                assertEquals(EINVAL, c.errorOf(c.req(CommandType.BLOCK_STATUS, -4096L, 8192)), "wrapping");
                assertEquals(EINVAL, c.errorOf(c.req(CommandType.BLOCK_STATUS, 0, 0)), "zero length");
                c.assertUsable();
                assertEquals(1, c.blockStatus(0, 0, DISK).size(), "status still works");
                c.disconnect();
            }
            assertEquals(List.of("C26", "C26", "C26", "C30"), server.ruleIdsOf(1));
        }
    }

    /** Undefined flags on BLOCK_STATUS are EINVAL and C19; FUA is accepted (C21 noted). */
    @Test
    @Verifies({"C19", "C21", "S54"})
    void blockStatusFlags() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (TransmissionClient c = TransmissionClient.open(server, "disk", Mode.BLOCK_STATUS)) {
                assertEquals(EINVAL, c.errorOf(c.req(CommandFlag.DF.bit, CommandType.BLOCK_STATUS, 0, 4096)));
                assertEquals(EINVAL, c.errorOf(c.req(0x100, CommandType.BLOCK_STATUS, 0, 4096)));
                assertEquals(1, c.blockStatus(CommandFlag.FUA.bit, 0, 4096).size());
                c.disconnect();
            }
            assertEquals(List.of("C19", "C19", "C21"), server.ruleIdsOf(1));
        }
    }

    /**
     * A status request longer than the maximum payload over a big sparse export (length is only a hint) succeeds
     * with descriptors that obey S64-S66.
     */
    @Test
    @Verifies({"S64", "S66", "S82"})
    void largeStatusRequestOnABigSparseExport() throws Exception {
        long size = 8L << 30;
        try (TestServer server = new TestServer(List.of(new Export("huge", null, new MemoryDevice(size), false)));
             TransmissionClient c = TransmissionClient.open(server, "huge", Mode.BLOCK_STATUS)) {
            c.write(3L << 30, pattern(4096, 3));
            List<Descriptor> ds = c.blockStatus(0, 0, 0xFFFF_FFFFL);
            long pos = 0;
            for (int i = 0; i < ds.size(); i++) {
                if (i < ds.size() - 1) assertTrue(pos + ds.get(i).length() < 0xFFFF_FFFFL, "S66: " + ds);
                pos += ds.get(i).length();
            }
            assertEquals(HOLE_ZERO, ds.get(0).flags());
            List<Descriptor> at = c.blockStatus(0, 3L << 30, 1 << 20);
            assertEquals(new Descriptor(64 * KIB, 0), at.get(0), "the written page: " + at);
            c.disconnect();
        }
    }

    /**
     * A later SET_META_CONTEXT that selects nothing (only the ignored "base:" query) replaces the earlier selection,
     * so BLOCK_STATUS after GO is EINVAL and C24.
     */
    @Test
    @Verifies({"S68", "C24", "S37"})
    void setThatSelectsNothingLeavesNoContextForBlockStatus() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (RawClient raw = server.connect()) {
                raw.handshake();
                raw.structuredReplies();
                List<dev.nbdref.wire.OptionReply> first = raw.option(dev.nbdref.spec.OptionType.SET_META_CONTEXT,
                        new dev.nbdref.wire.MetaContextRequest("disk", List.of(MetaContext.BASE_ALLOCATION)).encode());
                assertEquals(2, first.size(), "base:allocation selected: " + first);
                List<dev.nbdref.wire.OptionReply> second = raw.option(dev.nbdref.spec.OptionType.SET_META_CONTEXT,
                        new dev.nbdref.wire.MetaContextRequest("disk", List.of("base:")).encode());
                assertEquals(1, second.size(), "nothing selected, just the ACK: " + second);
                raw.go("disk");
                raw.request(new dev.nbdref.wire.Request(0, CommandType.BLOCK_STATUS.value, 42, 0, 4096));
                List<RawClient.Chunk> reply = raw.readReply();
                assertEquals(1, reply.size());
                assertEquals(ReplyType.ERROR.value, reply.get(0).type());
                assertEquals(EINVAL, reply.get(0).body().getInt());
                assertEquals(42, reply.get(0).cookie());
                raw.request(new dev.nbdref.wire.Request(0, CommandType.DISC.value, 43, 0, 0));
                raw.assertClosedByServer();
            }
            assertEquals(List.of("C24"), server.ruleIdsOf(1));
        }
    }
}
