package dev.nbdref.server;

import dev.nbdref.bitmap.DirtyBitmap;
import dev.nbdref.bitmap.ExportBitmaps;
import dev.nbdref.bitmap.InMemoryBitmap;
import dev.nbdref.block.MemoryDevice;
import dev.nbdref.server.ExtendedClient.Descriptor;
import dev.nbdref.server.ExtendedClient.Reply;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.MetaContext;
import dev.nbdref.spec.ReplyType;
import dev.nbdref.spec.TransmissionFlag;
import dev.nbdref.testing.Verifies;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.nbdref.server.ExtendedClient.EINVAL;
import static dev.nbdref.server.ExtendedClient.assertSingleError;
import static dev.nbdref.server.ExtendedClient.statusPayload;
import static dev.nbdref.server.TransmissionClient.pattern;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NBD_CMD_BLOCK_STATUS with extended headers: BLOCK_STATUS_EXT chunks only, their layout, REQ_ONE, and the
 * payload form (NBD_FLAG_BLOCK_STATUS_PAYLOAD): a subset of contexts by id, and the refusal of unknown,
 * repeated or malformed payloads, or of a payload the server did not advertise.
 */
class ExtendedHeadersBlockStatusTest {
    private static final int KIB = 1024;
    private static final int DISK = 1 << 20;
    private static final int HOLE_ZERO = MetaContext.STATE_HOLE | MetaContext.STATE_ZERO;
    private static final int PAYLOAD_LEN = CommandFlag.PAYLOAD_LEN.bit;
    private static final int REQ_ONE = CommandFlag.REQ_ONE.bit;
    private static final String BITMAP = MetaContext.QEMU_DIRTY_BITMAP_PREFIX + "b";

    /** A server with "disk" (1 MiB memory) offering base:allocation and qemu:dirty-bitmap:b, whose bitmap is returned. */
    private static TestServer serverWithBitmap(InMemoryBitmap bitmap) throws Exception {
        ExportBitmaps bitmaps = new ExportBitmaps() {
            public List<String> names() { return List.of("b"); }
            public Optional<DirtyBitmap> find(String name) {
                return name.equals("b") ? Optional.of(bitmap) : Optional.empty();
            }
        };
        return new TestServer(List.of(new Export("disk", null, new MemoryDevice(DISK), false, false, bitmaps),
                new Export("other", null, new MemoryDevice(DISK), false)));
    }

    /**
     * After writing [0,64k), status of the whole export is one BLOCK_STATUS_EXT chunk (type 6, DONE) for the
     * context: payload 8 + 16n bytes, count n, descriptors (64k, 0) and (960k, HOLE|ZERO), top status bits clear.
     */
    @Test
    @Verifies({"S71", "S63", "S64", "S66", "S67", "S87"})
    void statusComesAsOneBlockStatusExtChunk() throws Exception {
        try (TestServer server = TestServer.standard();
             ExtendedClient c = ExtendedClient.open(server, "disk", MetaContext.BASE_ALLOCATION)) {
            c.write(0, pattern(64 * KIB, 1));
            Reply rep = c.call(c.req(CommandType.BLOCK_STATUS, 0, DISK));
            assertEquals(1, rep.chunks().size());
            ExtendedClient.Chunk ch = rep.chunks().get(0);
            assertEquals(ReplyType.BLOCK_STATUS_EXT.value, ch.type(), "S71: BLOCK_STATUS_EXT only");
            assertTrue(ch.done());
            ByteBuffer b = ch.body();
            assertEquals(c.contextId(MetaContext.BASE_ALLOCATION), b.getInt(), "context id");
            assertEquals(2, b.getInt(), "descriptor count");
            assertEquals(8 + 2 * 16, ch.payload().length, "8 + 16n");
            assertEquals(List.of(new Descriptor(64 * KIB, 0), new Descriptor(DISK - 64 * KIB, HOLE_ZERO)),
                    rep.status().get(c.contextId(MetaContext.BASE_ALLOCATION)));
            // unaligned and small requests: still only type 6, whatever the length
            for (long[] r : new long[][] {{1, 10}, {65535, 2}, {100_000, 1}, {DISK - 1, 1}, {4097, DISK - 4097}}) {
                List<Descriptor> ds = c.blockStatus(0, r[0], r[1]);
                assertFalse(ds.isEmpty());
            }
            c.disconnect();
        }
    }

    /** With REQ_ONE each reply holds exactly one descriptor, never longer than the request. */
    @Test
    @Verifies({"S65", "S71"})
    void reqOneGivesOneDescriptorWithinTheRequest() throws Exception {
        try (TestServer server = TestServer.standard();
             ExtendedClient c = ExtendedClient.open(server, "disk", MetaContext.BASE_ALLOCATION)) {
            c.write(0, pattern(64 * KIB, 2));
            assertEquals(List.of(new Descriptor(4096, 0)), c.blockStatus(REQ_ONE, 0, 4096));
            assertEquals(List.of(new Descriptor(32 * KIB, 0)), c.blockStatus(REQ_ONE, 32 * KIB, DISK - 32 * KIB));
            assertEquals(List.of(new Descriptor(10, HOLE_ZERO)), c.blockStatus(REQ_ONE, 100_000, 10));
            List<Descriptor> tail = c.blockStatus(REQ_ONE, 64 * KIB, DISK - 64 * KIB);
            assertEquals(1, tail.size());
            assertTrue(tail.get(0).length() <= DISK - 64 * KIB);
            c.disconnect();
        }
    }

    /**
     * Without a payload both selected contexts are answered; with the payload form (u64 effect length + ids) only
     * the contexts named are, in either order; the payload's effect length, not the header length, bounds a REQ_ONE
     * answer; every chunk echoes the request offset; the dirty bitmap reports its marks.
     */
    @Test
    @Verifies({"S72", "S63", "S65", "S71", "S67"})
    void payloadFormAnswersOnlyTheNamedContexts() throws Exception {
        InMemoryBitmap bitmap = new InMemoryBitmap("b", 64 * KIB, DISK, true);
        bitmap.mark(128 * KIB, 64 * KIB);
        try (TestServer server = serverWithBitmap(bitmap)) {
            try (ExtendedClient c = ExtendedClient.open(server, "disk", MetaContext.BASE_ALLOCATION, BITMAP)) {
                assertTrue(c.advertised(TransmissionFlag.BLOCK_STATUS_PAYLOAD), "BLOCK_STATUS_PAYLOAD advertised");
                int alloc = c.contextId(MetaContext.BASE_ALLOCATION);
                int dirty = c.contextId(BITMAP);
                c.write(0, pattern(64 * KIB, 3));
                Map<Integer, List<Descriptor>> all = c.blockStatusAll(0, 0, DISK);
                assertEquals(2, all.size(), "both contexts without a payload");

                Reply onlyDirty = c.call(c.req(PAYLOAD_LEN, CommandType.BLOCK_STATUS, 0, 12),
                        statusPayload(DISK, dirty));
                assertEquals(0, onlyDirty.error());
                assertEquals(List.of(dirty), List.copyOf(onlyDirty.status().keySet()), "only the bitmap");
                assertEquals(List.of(new Descriptor(128 * KIB, 0), new Descriptor(64 * KIB, MetaContext.STATE_DIRTY),
                        new Descriptor(DISK - 192 * KIB, 0)), onlyDirty.status().get(dirty));
                assertEquals(all.get(dirty), onlyDirty.status().get(dirty), "same answer as without the payload");

                Reply onlyAlloc = c.call(c.req(PAYLOAD_LEN, CommandType.BLOCK_STATUS, 0, 12),
                        statusPayload(DISK, alloc));
                assertEquals(List.of(alloc), List.copyOf(onlyAlloc.status().keySet()), "only base:allocation");
                assertEquals(all.get(alloc), onlyAlloc.status().get(alloc));

                Reply both = c.call(c.req(PAYLOAD_LEN, CommandType.BLOCK_STATUS, 0, 16),
                        statusPayload(DISK, dirty, alloc));
                assertEquals(2, both.chunks().size(), "one chunk per named context");
                assertEquals(all, both.status());

                long off = 4096 * 3;
                Reply one = c.call(c.req(PAYLOAD_LEN | REQ_ONE, CommandType.BLOCK_STATUS, off, 12),
                        statusPayload(8192, alloc));
                assertEquals(List.of(new Descriptor(8192, 0)), one.status().get(alloc),
                        "REQ_ONE bounded by the payload's effect length (8192), not the header length (12)");
                for (ExtendedClient.Chunk ch : one.chunks()) assertEquals(off, ch.offset(), "S71: offset echoed");
                c.disconnect();
            }
            assertEquals(List.of(), server.ruleIdsOf(1));
        }
    }

    /**
     * Payload forms that name an unknown id or the same id twice are consumed and refused with EINVAL (C46); the
     * stream stays in sync and a good request still works.
     */
    @Test
    @Verifies({"S72", "C46", "S93"})
    void unknownOrRepeatedContextIdsAreEinval() throws Exception {
        InMemoryBitmap bitmap = new InMemoryBitmap("b", 64 * KIB, DISK, true);
        try (TestServer server = serverWithBitmap(bitmap)) {
            try (ExtendedClient c = ExtendedClient.open(server, "disk", MetaContext.BASE_ALLOCATION, BITMAP)) {
                int alloc = c.contextId(MetaContext.BASE_ALLOCATION);
                int dirty = c.contextId(BITMAP);
                int unknown = Math.max(alloc, dirty) + 1000;
                for (byte[] p : List.of(statusPayload(DISK, unknown), statusPayload(DISK, alloc, unknown),
                        statusPayload(DISK, alloc, alloc), statusPayload(DISK, dirty, alloc, dirty))) {
                    assertSingleError(c.call(c.req(PAYLOAD_LEN, CommandType.BLOCK_STATUS, 0, p.length), p), EINVAL,
                            "payload " + NegotiationSupport.HEX.formatHex(p));
                    c.assertUsable();
                }
                assertEquals(2, c.blockStatusAll(0, 0, DISK).size(), "a good request still works");
                c.disconnect();
            }
            assertEquals(List.of("C46", "C46", "C46", "C46"), server.ruleIdsOf(1));
        }
    }

    /**
     * A BLOCK_STATUS payload that is not 8 + 4n bytes with n >= 1 (8, 10, 13, or 34 bytes embedding a complete
     * extended FLUSH header) is consumed and refused with EINVAL (C46).
     */
    @Test
    @Verifies({"S72", "C46", "S93"})
    void malformedPayloadIsConsumedThenEinval() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (ExtendedClient c = ExtendedClient.open(server, "disk", MetaContext.BASE_ALLOCATION)) {
                byte[] decoy = NegotiationSupport.cat(new byte[2],
                        new Request(0, CommandType.FLUSH.value, 0xDEC0DEL, 0, 0).encodeExtended());
                for (byte[] p : List.of(statusPayload(DISK), new byte[10], new byte[13], decoy)) {
                    assertSingleError(c.call(c.req(PAYLOAD_LEN, CommandType.BLOCK_STATUS, 0, p.length), p), EINVAL,
                            p.length + "-byte payload");
                    c.assertUsable();
                }
                c.disconnect();
            }
            assertEquals(List.of("C46", "C46", "C46", "C46"), server.ruleIdsOf(1));
        }
    }

    /** The payload form's effect length is checked like a header length: past the export end is EINVAL (C26). */
    @Test
    @Verifies({"C26", "S72"})
    void payloadEffectLengthPastTheEndIsEinval() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (ExtendedClient c = ExtendedClient.open(server, "disk", MetaContext.BASE_ALLOCATION)) {
                int alloc = c.contextId(MetaContext.BASE_ALLOCATION);
                assertSingleError(c.call(c.req(PAYLOAD_LEN, CommandType.BLOCK_STATUS, 4096, 12),
                        statusPayload(DISK, alloc)), EINVAL, "4096 + 1 MiB");
                c.assertUsable();
                c.disconnect();
            }
            assertEquals(List.of("C26"), server.ruleIdsOf(1));
        }
    }

    /**
     * When BLOCK_STATUS_PAYLOAD was not advertised (extended headers but no context selected, or contexts selected
     * for another export) PAYLOAD_LEN on BLOCK_STATUS is C45: the payload is consumed and the answer is EINVAL.
     */
    @Test
    @Verifies({"C45", "S72", "S93"})
    void payloadWithoutBlockStatusPayloadFlagIsEinval() throws Exception {
        InMemoryBitmap bitmap = new InMemoryBitmap("b", 64 * KIB, DISK, true);
        try (TestServer server = serverWithBitmap(bitmap)) {
            try (ExtendedClient c = ExtendedClient.open(server, "disk")) {
                assertFalse(c.advertised(TransmissionFlag.BLOCK_STATUS_PAYLOAD), "no context, no flag");
                assertSingleError(c.call(c.req(PAYLOAD_LEN, CommandType.BLOCK_STATUS, 0, 12), statusPayload(DISK, 0)),
                        EINVAL, "payload form, flag not advertised");
                c.assertUsable();
                c.disconnect();
            }
            try (RawClient raw = server.connect()) {
                raw.handshake();
                ExtendedClient.extendedHeaders(raw);
                Map<String, Integer> ids = ExtendedClient.setMetaContext(raw, "disk", MetaContext.BASE_ALLOCATION);
                try (ExtendedClient c = ExtendedClient.enter(raw, "other", Map.of())) {
                    assertFalse(c.advertised(TransmissionFlag.BLOCK_STATUS_PAYLOAD), "contexts were for disk");
                    byte[] p = statusPayload(DISK, ids.get(MetaContext.BASE_ALLOCATION));
                    assertSingleError(c.call(c.req(PAYLOAD_LEN, CommandType.BLOCK_STATUS, 0, p.length), p), EINVAL,
                            "payload form on an export without contexts");
                    c.assertUsable();
                    c.disconnect();
                }
            }
            assertEquals(List.of("C45"), server.ruleIdsOf(1));
            assertEquals(List.of("C45"), server.ruleIdsOf(2));
        }
    }
}
