package dev.nbdref.server;

import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.MetaContext;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.spec.ReplyType;
import dev.nbdref.testing.Verifies;
import dev.nbdref.wire.OptionReply;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import static dev.nbdref.server.NegotiationSupport.DISK_FLAGS;
import static dev.nbdref.server.NegotiationSupport.DISK_SIZE;
import static dev.nbdref.server.NegotiationSupport.INFO_EXPORT;
import static dev.nbdref.server.NegotiationSupport.RO_FLAGS;
import static dev.nbdref.server.NegotiationSupport.SEND_DF;
import static dev.nbdref.server.NegotiationSupport.abort;
import static dev.nbdref.server.NegotiationSupport.assertOptionGets;
import static dev.nbdref.server.NegotiationSupport.assertInfoExport;
import static dev.nbdref.server.NegotiationSupport.assertOnly;
import static dev.nbdref.server.NegotiationSupport.assertReply;
import static dev.nbdref.server.NegotiationSupport.context;
import static dev.nbdref.server.NegotiationSupport.info;
import static dev.nbdref.server.NegotiationSupport.infosBeforeAck;
import static dev.nbdref.server.NegotiationSupport.meta;
import static dev.nbdref.server.NegotiationSupport.standardSession;
import static dev.nbdref.server.NegotiationSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NBD_OPT_EXTENDED_HEADERS in the option phase: the ACK, refusals of bad or repeated requests, how it interacts
 * with STRUCTURED_REPLY, GO, SET_META_CONTEXT and EXPORT_NAME, the transmission flags it unlocks, and that clients
 * which never ask for it see exactly the compact protocol.
 */
class ExtendedHeadersNegotiationTest {
    private static final int BLOCK_STATUS_PAYLOAD = 0x1000;

    /** Compares transmission flags in hex, so a failure names the bits. */
    private static void assertFlags(int expected, int actual, String what) {
        assertEquals("0x" + Integer.toHexString(expected), "0x" + Integer.toHexString(actual), what);
    }

    /** INFO for {@code export} on a connection still haggling: the NBD_INFO_EXPORT flags. */
    private static int infoFlags(RawClient c, String export, long size) throws Exception {
        List<byte[]> infos = infosBeforeAck(c.option(OptionType.INFO, info(export)), OptionType.INFO);
        List<byte[]> exports = NegotiationSupport.ofType(infos, INFO_EXPORT);
        assertEquals(1, exports.size(), "one NBD_INFO_EXPORT");
        ByteBuffer b = ByteBuffer.wrap(exports.get(0));
        b.getShort();
        assertEquals(size, b.getLong(), "export size");
        return Short.toUnsignedInt(b.getShort());
    }

    /** GO to "disk" on an extended-headers connection: it serves 32-byte requests and replies, then disconnects. */
    private static void enterDiskAndAssertUsable(RawClient c) throws Exception {
        try (ExtendedClient x = ExtendedClient.enter(c, "disk", Map.of())) {
            x.assertUsable();
            x.disconnect();
        }
    }

    /** NBD_OPT_EXTENDED_HEADERS without data is answered by exactly one ACK with no payload, and nothing is recorded. */
    @Test
    @Verifies({"S71", "S20"})
    void extendedHeadersIsAcknowledged() throws Exception {
        standardSession(List.of(), c -> {
            assertOptionGets(c, OptionType.EXTENDED_HEADERS, new byte[0], OptionReplyType.ACK);
            enterDiskAndAssertUsable(c);
        });
    }

    /**
     * EXTENDED_HEADERS with data is refused with ERR_INVALID and recorded as C05; it is then not in force:
     * a following STRUCTURED_REPLY is acknowledged rather than refused with ERR_EXT_HEADER_REQD.
     */
    @Test
    @Verifies({"S21", "C05"})
    void extendedHeadersWithDataIsInvalid() throws Exception {
        standardSession(List.of("C05"), c -> {
            assertOptionGets(c, OptionType.EXTENDED_HEADERS, new byte[] {0, 0, 0, 1}, OptionReplyType.ERR_INVALID);
            assertOptionGets(c, OptionType.STRUCTURED_REPLY, new byte[0], OptionReplyType.ACK);
            abort(c);
        });
    }

    /**
     * A second EXTENDED_HEADERS is refused with ERR_INVALID (C44), and extended headers stay negotiated: after GO
     * the connection speaks 32-byte requests and replies.
     */
    @Test
    @Verifies({"S22", "C44", "S71"})
    void extendedHeadersTwiceIsInvalidButStaysOn() throws Exception {
        standardSession(List.of("C44"), c -> {
            ExtendedClient.extendedHeaders(c);
            assertOptionGets(c, OptionType.EXTENDED_HEADERS, new byte[0], OptionReplyType.ERR_INVALID);
            try (ExtendedClient x = ExtendedClient.enter(c, "disk", Map.of())) {
                assertNotEquals(0, x.transmissionFlags & SEND_DF, "SEND_DF with extended headers");
                x.write(512, TransmissionClient.pattern(1024, 3));
                TransmissionClient.assertBytes(TransmissionClient.pattern(1024, 3), x.read(512, 1024), "read back");
                x.disconnect();
            }
        });
    }

    /**
     * STRUCTURED_REPLY after extended headers is refused with ERR_EXT_HEADER_REQD (no downgrade); extended
     * headers stay in force and the client did nothing wrong.
     */
    @Test
    @Verifies({"S71"})
    void structuredReplyAfterExtendedHeadersIsExtHeaderReqd() throws Exception {
        standardSession(List.of(), c -> {
            ExtendedClient.extendedHeaders(c);
            assertOptionGets(c, OptionType.STRUCTURED_REPLY, new byte[0], OptionReplyType.ERR_EXT_HEADER_REQD);
            enterDiskAndAssertUsable(c);
        });
    }

    /** A client may negotiate structured replies first: EXTENDED_HEADERS after STRUCTURED_REPLY is acknowledged and wins. */
    @Test
    @Verifies({"S71"})
    void extendedHeadersAfterStructuredReplyIsAcknowledged() throws Exception {
        standardSession(List.of(), c -> {
            c.structuredReplies();
            assertOptionGets(c, OptionType.EXTENDED_HEADERS, new byte[0], OptionReplyType.ACK);
            enterDiskAndAssertUsable(c);
        });
    }

    /**
     * Once extended headers are acknowledged, INFO and GO are never answered with ERR_UNSUP: an unknown export is
     * ERR_UNKNOWN, a malformed request ERR_INVALID, and a good GO is acknowledged and enters transmission.
     */
    @Test
    @Verifies({"S20", "S19", "S12"})
    void goAfterExtendedHeadersIsNeverUnsupported() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (RawClient c = server.connect()) {
                c.handshake();
                ExtendedClient.extendedHeaders(c);
                assertOptionGets(c, OptionType.GO, info("no-such-export"), OptionReplyType.ERR_UNKNOWN);
                byte[] truncated = ByteBuffer.allocate(6).putInt(100).putShort((short) 0).array(); // name length lies
                List<OptionReply> bad = c.option(OptionType.GO, truncated);
                assertOnly(bad, OptionType.GO, OptionReplyType.ERR_INVALID);
                List<byte[]> infos = infosBeforeAck(c.option(OptionType.INFO, info("disk")), OptionType.INFO);
                assertInfoExport(infos, DISK_SIZE, DISK_FLAGS | SEND_DF);
                List<OptionReply> go = c.option(OptionType.GO, info("disk"));
                for (OptionReply r : go) assertNotEquals(OptionReplyType.ERR_UNSUP, r.replyType(), "S20");
                assertInfoExport(infosBeforeAck(go, OptionType.GO), DISK_SIZE, DISK_FLAGS | SEND_DF);
                try (ExtendedClient x = new ExtendedClient(c, DISK_SIZE, DISK_FLAGS | SEND_DF, Map.of())) {
                    x.assertUsable();
                    x.disconnect();
                }
            }
        }
    }

    /**
     * Extended headers alone (no STRUCTURED_REPLY) are enough for LIST and SET_META_CONTEXT: base:allocation is
     * listed and selected without C12 or C48 being recorded, and BLOCK_STATUS then works.
     */
    @Test
    @Verifies({"S35", "S92", "C12", "C48", "S63"})
    void metaContextsWorkAfterExtendedHeadersWithoutStructuredReplies() throws Exception {
        standardSession(List.of(), c -> {
            ExtendedClient.extendedHeaders(c);
            List<OptionReply> list = c.option(OptionType.LIST_META_CONTEXT, meta("disk", "base:"));
            assertEquals(2, list.size(), "one context then ACK: " + list);
            assertEquals(MetaContext.BASE_ALLOCATION, context(list.get(0), OptionType.LIST_META_CONTEXT).name());
            assertReply(list.get(1), OptionType.LIST_META_CONTEXT, OptionReplyType.ACK);
            List<OptionReply> set = c.option(OptionType.SET_META_CONTEXT, meta("disk", MetaContext.BASE_ALLOCATION));
            assertEquals(2, set.size(), "one context then ACK: " + set);
            NegotiationSupport.Context ctx = context(set.get(0), OptionType.SET_META_CONTEXT);
            assertEquals(MetaContext.BASE_ALLOCATION, ctx.name());
            assertReply(set.get(1), OptionType.SET_META_CONTEXT, OptionReplyType.ACK);
            try (ExtendedClient x = ExtendedClient.enter(c, "disk", Map.of(ctx.name(), ctx.id()))) {
                List<ExtendedClient.Descriptor> ds = x.blockStatus(0, 0, DISK_SIZE);
                assertEquals(List.of(new ExtendedClient.Descriptor(DISK_SIZE,
                        MetaContext.STATE_HOLE | MetaContext.STATE_ZERO)), ds);
                x.disconnect();
            }
        });
    }

    /**
     * EXPORT_NAME after extended headers is a client violation (C15) that cannot be answered with an error: the
     * server closes the connection without sending the export information.
     */
    @Test
    @Verifies({"C15"})
    void exportNameAfterExtendedHeadersClosesTheConnection() throws Exception {
        standardSession(List.of("C15"), c -> {
            ExtendedClient.extendedHeaders(c);
            c.sendOption(OptionType.EXPORT_NAME, utf8("disk"));
            c.assertClosedByServer();
        });
    }

    /**
     * A refused EXTENDED_HEADERS (it carried data) leaves the client on compact headers, so EXPORT_NAME is still
     * allowed: it gets the 10-byte export reply (NO_ZEROES) and then 16-byte simple replies.
     */
    @Test
    @Verifies({"C05", "S04", "S40"})
    void exportNameAfterARefusedExtendedHeadersIsAllowed() throws Exception {
        standardSession(List.of("C05"), c -> {
            assertOptionGets(c, OptionType.EXTENDED_HEADERS, new byte[] {1}, OptionReplyType.ERR_INVALID);
            c.sendOption(OptionType.EXPORT_NAME, utf8("disk"));
            ByteBuffer reply = ByteBuffer.wrap(c.readExactly(10));
            assertEquals(DISK_SIZE, reply.getLong(), "export size");
            assertFlags(DISK_FLAGS, Short.toUnsignedInt(reply.getShort()), "EXPORT_NAME flags: compact protocol");
            NegotiationSupport.assertFlushAnsweredImmediately(c, false);
            NegotiationSupport.disconnect(c);
        });
    }

    /**
     * NBD_INFO_EXPORT flags after extended headers: SEND_DF is set; BLOCK_STATUS_PAYLOAD (0x1000) is set only for
     * the export a metadata context was selected on, not for another export, not after a SET that selected
     * nothing; GO reports the same flags as the INFO before it.
     */
    @Test
    @Verifies({"S62", "S72", "S18", "S12"})
    void transmissionFlagsWithExtendedHeaders() throws Exception {
        standardSession(List.of(), c -> {
            ExtendedClient.extendedHeaders(c);
            assertFlags(DISK_FLAGS | SEND_DF, infoFlags(c, "disk", DISK_SIZE), "EH, no contexts");
            Map<String, Integer> ids = ExtendedClient.setMetaContext(c, "disk", MetaContext.BASE_ALLOCATION);
            assertEquals(List.of(MetaContext.BASE_ALLOCATION), List.copyOf(ids.keySet()));
            assertFlags(DISK_FLAGS | SEND_DF | BLOCK_STATUS_PAYLOAD, infoFlags(c, "disk", DISK_SIZE),
                    "EH and base:allocation selected for disk");
            assertFlags(RO_FLAGS | SEND_DF, infoFlags(c, "ro", DISK_SIZE), "contexts were selected for disk, not ro");
            assertEquals(Map.of(), ExtendedClient.setMetaContext(c, "disk", "base:"), "bare base: selects nothing");
            assertFlags(DISK_FLAGS | SEND_DF, infoFlags(c, "disk", DISK_SIZE), "after a SET that selected nothing");
            ids = ExtendedClient.setMetaContext(c, "disk", MetaContext.BASE_ALLOCATION);
            int fromInfo = infoFlags(c, "disk", DISK_SIZE);
            try (ExtendedClient x = ExtendedClient.enter(c, "disk", ids)) {
                assertFlags(fromInfo, x.transmissionFlags, "S18: GO repeats the INFO flags");
                assertFlags(DISK_FLAGS | SEND_DF | BLOCK_STATUS_PAYLOAD, x.transmissionFlags, "GO flags");
                x.disconnect();
            }
        });
    }

    /**
     * Without extended headers BLOCK_STATUS_PAYLOAD is never advertised, even with structured replies and a selected
     * context; with STRUCTURED_REPLY then EXTENDED_HEADERS it is.
     */
    @Test
    @Verifies({"S72", "S62"})
    void blockStatusPayloadNeverWithoutExtendedHeaders() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (RawClient c = server.connect()) {
                c.handshake();
                c.structuredReplies();
                Map<String, Integer> ids = ExtendedClient.setMetaContext(c, "disk", MetaContext.BASE_ALLOCATION);
                assertEquals(1, ids.size(), "S92: base:allocation is selected without extended headers");
                assertFlags(DISK_FLAGS | SEND_DF, infoFlags(c, "disk", DISK_SIZE), "SR + context, no EH");
                ExtendedClient.extendedHeaders(c);
                assertFlags(DISK_FLAGS | SEND_DF | BLOCK_STATUS_PAYLOAD, infoFlags(c, "disk", DISK_SIZE),
                        "SR, context, then EH");
                abort(c);
            }
            try (TransmissionClient t = TransmissionClient.open(server, "disk", TransmissionClient.Mode.BLOCK_STATUS)) {
                assertFlags(DISK_FLAGS | SEND_DF, t.transmissionFlags, "GO after SR + context, no EH");
                t.disconnect();
            }
        }
    }

    /**
     * A client that never asks for extended headers gets the compact protocol: without options, flags lack SEND_DF
     * and BLOCK_STATUS_PAYLOAD and every reply is a 16-byte simple reply; with structured replies, status comes
     * as 32-bit BLOCK_STATUS chunks (type 5) in 20-byte chunk headers.
     */
    @Test
    @Verifies({"S40", "S41", "S62", "S72"})
    void clientsWithoutExtendedHeadersKeepTheCompactProtocol() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (TransmissionClient t = TransmissionClient.open(server, "disk", TransmissionClient.Mode.SIMPLE)) {
                assertFlags(DISK_FLAGS, t.transmissionFlags, "no DF, no BLOCK_STATUS_PAYLOAD");
                t.write(0, TransmissionClient.pattern(4096, 9));
                TransmissionClient.assertBytes(TransmissionClient.pattern(4096, 9), t.read(0, 4096), "simple READ");
                assertTrue(t.call(t.req(CommandType.FLUSH, 0, 0)).simple(), "FLUSH gets a simple reply");
                t.disconnect();
            }
            try (TransmissionClient t = TransmissionClient.open(server, "disk", TransmissionClient.Mode.BLOCK_STATUS)) {
                TransmissionClient.Reply rep = t.call(t.req(CommandType.BLOCK_STATUS, 0, DISK_SIZE));
                assertEquals(1, rep.chunks().size());
                assertEquals(ReplyType.BLOCK_STATUS.value, rep.chunks().get(0).type(), "32-bit status chunk");
                t.disconnect();
            }
            assertEquals(List.of(), server.ruleIdsOf(1));
            assertEquals(List.of(), server.ruleIdsOf(2));
        }
    }

    /** An extended request (magic 0x21e41c71) without extended headers negotiated is C18: the server hangs up. */
    @Test
    @Verifies({"C18"})
    void extendedMagicWithoutExtendedHeadersDisconnects() throws Exception {
        try (TestServer server = TestServer.standard()) {
            try (TransmissionClient t = TransmissionClient.open(server, "disk", TransmissionClient.Mode.STRUCTURED)) {
                t.raw.send(new Request(0, CommandType.FLUSH.value, 1, 0, 0).encodeExtended());
                t.raw.assertClosedByServer();
            }
            assertEquals(List.of("C18"), server.ruleIdsOf(1));
        }
    }
}
