package dev.nbdref.server;

import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.spec.ReplyType;
import dev.nbdref.testing.Verifies;
import dev.nbdref.wire.OptionReply;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.List;

import static dev.nbdref.server.NegotiationSupport.Context;
import static dev.nbdref.server.NegotiationSupport.abort;
import static dev.nbdref.server.NegotiationSupport.assertListWorks;
import static dev.nbdref.server.NegotiationSupport.assertOptionGets;
import static dev.nbdref.server.NegotiationSupport.assertRefusedThenInSync;
import static dev.nbdref.server.NegotiationSupport.assertReply;
import static dev.nbdref.server.NegotiationSupport.bytes;
import static dev.nbdref.server.NegotiationSupport.cat;
import static dev.nbdref.server.NegotiationSupport.context;
import static dev.nbdref.server.NegotiationSupport.describeAll;
import static dev.nbdref.server.NegotiationSupport.disconnect;
import static dev.nbdref.server.NegotiationSupport.meta;
import static dev.nbdref.server.NegotiationSupport.standardSession;
import static dev.nbdref.server.NegotiationSupport.u32;
import static dev.nbdref.server.NegotiationSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NBD_OPT_LIST_META_CONTEXT and NBD_OPT_SET_META_CONTEXT (spec "Metadata querying", "The base: metadata
 * namespace"), and how the final selection governs NBD_CMD_BLOCK_STATUS.
 */
class NegotiationMetaContextTest {
    enum Meta { LIST, SET }

    private static OptionType type(Meta m) {
        return m == Meta.LIST ? OptionType.LIST_META_CONTEXT : OptionType.SET_META_CONTEXT;
    }

    private static final String ALLOCATION = "base:allocation";

    /** SET_META_CONTEXT before structured replies gets ERR_INVALID and records the MUST breach C12. */
    @Test
    @Verifies({"S35", "C12"})
    void setBeforeStructuredRepliesIsInvalid() throws Exception {
        standardSession(List.of("C12"), c -> assertRefusedThenInSync(c, OptionType.SET_META_CONTEXT,
                meta("disk", ALLOCATION), OptionReplyType.ERR_INVALID));
    }

    /**
     * LIST_META_CONTEXT before structured replies is only a SHOULD NOT (the server MAY refuse it): this server
     * answers it normally (base:allocation, then ACK) and records C48.
     */
    @Test
    @Verifies({"S33", "C48"})
    void listBeforeStructuredRepliesIsAnsweredAndRecordsC48() throws Exception {
        standardSession(List.of("C48"), c -> {
            List<OptionReply> r = c.option(OptionType.LIST_META_CONTEXT, meta("disk"));
            assertOnlyBaseAllocationListed(r);
            assertListWorks(c);
            abort(c);
        });
    }

    /**
     * A SET refused before structured replies selects nothing: after negotiating them and GO, BLOCK_STATUS
     * fails with EINVAL (C24).
     */
    @Test
    @Verifies({"S35", "S91", "C12", "C24", "S68"})
    void setBeforeStructuredRepliesSelectsNothing() throws Exception {
        standardSession(List.of("C12", "C24"), c -> {
            assertOptionGets(c, OptionType.SET_META_CONTEXT, meta("disk", ALLOCATION), OptionReplyType.ERR_INVALID);
            c.structuredReplies();
            c.go("disk");
            assertBlockStatusEinval(c);
            disconnect(c);
        });
    }

    /** LIST with zero queries returns every context of the export: base:allocation, id 0 (reserved), then ACK. */
    @Test
    @Verifies({"S33", "S38", "S75"})
    void listWithoutQueriesReturnsBaseAllocation() throws Exception {
        standardSession(List.of(), c -> {
            c.structuredReplies();
            List<OptionReply> r = c.option(OptionType.LIST_META_CONTEXT, meta("disk"));
            assertOnlyBaseAllocationListed(r);
            abort(c);
        });
    }

    /** LIST with the wildcard "base:" or the exact name returns base:allocation (S37). */
    @ParameterizedTest
    @ValueSource(strings = {"base:", ALLOCATION})
    @Verifies({"S37", "S33", "S75"})
    void listWithBaseQueryReturnsBaseAllocation(String query) throws Exception {
        standardSession(List.of(), c -> {
            c.structuredReplies();
            List<OptionReply> r = c.option(OptionType.LIST_META_CONTEXT, meta("ro", query));
            assertOnlyBaseAllocationListed(r);
            abort(c);
        });
    }

    /**
     * Queries in an unknown namespace, and unknown base: leaves, are ignored; when nothing matches the whole
     * answer is a single ACK, for LIST and SET alike.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Meta.class)
    @Verifies({"S34", "S37"})
    void unmatchedQueriesGetASingleAck(Meta m) throws Exception {
        for (String q : new String[] {"x-foo:bar", "x-foo:", "qemu:dirty-bitmap:b", "base:nope", "nbd-server:x"}) {
            standardSession(List.of(), q, c -> {
                c.structuredReplies();
                assertOptionGets(c, type(m), meta("disk", q), OptionReplyType.ACK);
                abort(c);
            });
        }
    }

    /** SET with "base:" selects nothing (just ACK); SET with zero queries too. */
    @Test
    @Verifies({"S37", "S35"})
    void setWithBareBaseOrNoQuerySelectsNothing() throws Exception {
        standardSession(List.of("C24"), c -> {
            c.structuredReplies();
            assertOptionGets(c, OptionType.SET_META_CONTEXT, meta("disk", "base:"), OptionReplyType.ACK);
            assertOptionGets(c, OptionType.SET_META_CONTEXT, meta("disk"), OptionReplyType.ACK);
            c.go("disk");
            assertBlockStatusEinval(c);
            disconnect(c);
        });
    }

    /**
     * SET with base:allocation sends one META_CONTEXT with an id, then ACK; after GO on the same export
     * BLOCK_STATUS answers with one status chunk carrying that id.
     */
    @Test
    @Verifies({"S36", "S38", "S63", "S64"})
    void setBaseAllocationSelectsItForBlockStatus() throws Exception {
        standardSession(List.of(), c -> {
            c.structuredReplies();
            List<OptionReply> r = c.option(OptionType.SET_META_CONTEXT, meta("disk", "x-foo:bar", ALLOCATION, "base:"));
            assertEquals(2, r.size(), describeAll(r));
            Context selected = context(r.get(0), OptionType.SET_META_CONTEXT);
            assertEquals(ALLOCATION, selected.name());
            assertReply(r.get(1), OptionType.SET_META_CONTEXT, OptionReplyType.ACK);
            c.go("disk");
            c.request(new Request(0, CommandType.BLOCK_STATUS.value, 77, 0, 4096));
            List<RawClient.Chunk> chunks = c.readReply();
            assertEquals(1, chunks.size(), "one status chunk for the one context");
            RawClient.Chunk ch = chunks.get(0);
            assertEquals(ReplyType.BLOCK_STATUS.value, ch.type());
            assertEquals(77, ch.cookie());
            ByteBuffer b = ch.body();
            assertEquals(selected.id(), b.getInt(), "the chunk carries the id SET returned");
            assertTrue(b.remaining() >= 8 && b.remaining() % 8 == 0, "n >= 1 descriptors");
            assertTrue(b.getInt() > 0, "non-zero extent length");
            disconnect(c);
        });
    }

    /** The same context asked for twice is selected once: each selected context has a unique id. */
    @Test
    @Verifies({"S36"})
    void duplicateQuerySelectsTheContextOnce() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            c.structuredReplies();
            List<OptionReply> r = c.option(OptionType.SET_META_CONTEXT, meta("disk", ALLOCATION, ALLOCATION));
            assertEquals(2, r.size(), describeAll(r));
            assertEquals(ALLOCATION, context(r.get(0), OptionType.SET_META_CONTEXT).name());
            assertReply(r.get(1), OptionType.SET_META_CONTEXT, OptionReplyType.ACK);
            abort(c);
        }
    }

    /** A query that does not start with "namespace:" is a syntax error: ERR_INVALID and C13. */
    @ParameterizedTest(name = "{0} {1}")
    @EnumSource(Meta.class)
    @Verifies({"C13", "S11"})
    void queryWithoutNamespaceIsInvalidAndRecordsC13(Meta m) throws Exception {
        for (String q : new String[] {"allocation", ":allocation", ""}) {
            assertMetaRefused(m, meta("disk", ALLOCATION, q), OptionReplyType.ERR_INVALID, List.of("C13"),
                    "query \"" + q + "\"");
        }
    }

    /** A meta option naming an unknown export gets ERR_UNKNOWN and nothing else. */
    @ParameterizedTest
    @EnumSource(Meta.class)
    @Verifies({"S33", "S19"})
    void unknownExportGetsErrUnknown(Meta m) throws Exception {
        assertMetaRefused(m, meta("nope", ALLOCATION), OptionReplyType.ERR_UNKNOWN, List.of(), "unknown export");
    }

    /**
     * Syntactically inconsistent meta payloads MUST get ERR_INVALID, and the option length keeps the stream in
     * sync. (The server records these framing errors under C07.)
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"empty", "namelen-past-end", "no-query-count", "count-too-big", "querylen-past-end",
            "trailing-bytes", "huge-count"})
    @Verifies({"S11"})
    void malformedMetaPayloadIsInvalid(String kind) throws Exception {
        byte[] payload = switch (kind) {
            case "empty" -> new byte[0];
            case "namelen-past-end" -> cat(u32(50), utf8("disk"), u32(0));
            case "no-query-count" -> cat(u32(4), utf8("disk"));
            case "count-too-big" -> cat(u32(4), utf8("disk"), u32(2), u32(5), utf8("base:"));
            case "querylen-past-end" -> cat(u32(4), utf8("disk"), u32(1), u32(100), utf8("base:allocation"));
            case "trailing-bytes" -> cat(meta("disk", ALLOCATION), new byte[] {1, 2});
            default -> cat(u32(4), utf8("disk"), u32(0xFFFFFFFFL));
        };
        for (Meta m : Meta.values()) {
            assertMetaRefused(m, payload, OptionReplyType.ERR_INVALID, List.of("C49"), m + " " + kind);
        }
    }

    /** Export names and queries that are not valid strings get ERR_INVALID and C09. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"name-nul", "query-nul", "query-utf8", "query-4097"})
    @Verifies({"C09", "S11"})
    void invalidStringsInMetaOptionsAreInvalid(String kind) throws Exception {
        byte[] payload = switch (kind) {
            case "name-nul" -> meta(new byte[] {'d', 0}, utf8(ALLOCATION));
            case "query-nul" -> meta(utf8("disk"), utf8("base:alloc\0ation"));
            case "query-utf8" -> meta(utf8("disk"), new byte[] {'b', 'a', 's', 'e', ':', (byte) 0xFE});
            default -> meta(utf8("disk"), cat(utf8("x-a:"), bytes(4093, (byte) 'b')));
        };
        for (Meta m : Meta.values()) {
            assertMetaRefused(m, payload, OptionReplyType.ERR_INVALID, List.of("C09"), m + " " + kind);
        }
    }

    /**
     * Contexts selected for "disk" do not carry over to a GO on "ro": BLOCK_STATUS there gets a structured
     * EINVAL error chunk (type 0x8001, error 22) and C24 is recorded.
     */
    @Test
    @Verifies({"C24", "S68", "S46"})
    void contextsSelectedForAnotherExportDoNotApply() throws Exception {
        standardSession(List.of("C24"), c -> {
            c.structuredReplies();
            List<OptionReply> r = c.option(OptionType.SET_META_CONTEXT, meta("disk", ALLOCATION));
            assertEquals(2, r.size(), describeAll(r));
            c.go("ro");
            assertBlockStatusEinval(c);
            disconnect(c);
        });
    }

    /** A later SET that fails still replaces the earlier selection: nothing is selected afterwards. */
    @Test
    @Verifies({"S91", "C13", "C24"})
    void failedSetClearsTheEarlierSelection() throws Exception {
        standardSession(List.of("C13", "C24"), c -> {
            c.structuredReplies();
            assertEquals(2, c.option(OptionType.SET_META_CONTEXT, meta("disk", ALLOCATION)).size());
            assertOptionGets(c, OptionType.SET_META_CONTEXT, meta("disk", "nocolon"), OptionReplyType.ERR_INVALID);
            c.go("disk");
            assertBlockStatusEinval(c);
            disconnect(c);
        });
    }

    /** LIST does not change the selection: SET, then LIST, then GO still has base:allocation selected. */
    @Test
    @Verifies({"S91", "S63"})
    void listDoesNotChangeTheSelection() throws Exception {
        standardSession(List.of(), c -> {
            c.structuredReplies();
            Context selected = context(c.option(OptionType.SET_META_CONTEXT, meta("disk", ALLOCATION)).get(0),
                    OptionType.SET_META_CONTEXT);
            assertOptionGets(c, OptionType.LIST_META_CONTEXT, meta("disk", "x-none:"), OptionReplyType.ACK);
            c.go("disk");
            c.request(new Request(0, CommandType.BLOCK_STATUS.value, 5, 0, 512));
            RawClient.Chunk ch = c.readChunk();
            assertEquals(ReplyType.BLOCK_STATUS.value, ch.type());
            assertTrue(ch.done());
            assertEquals(selected.id(), ch.body().getInt());
            disconnect(c);
        });
    }

    /**
     * The ERR_INVALID message for a bad query must stay a valid string even when it quotes a long query of
     * multibyte characters (truncation must not split a character).
     */
    @ParameterizedTest
    @EnumSource(Meta.class)
    @Verifies({"C13", "S06"})
    void errorMessageQuotingALongMultibyteQueryIsValidUtf8(Meta m) throws Exception {
        assertMetaRefused(m, meta("disk", "a" + "\u20ac".repeat(1364)), OptionReplyType.ERR_INVALID, List.of("C13"),
                "long multibyte query");
    }

    /**
     * On a fresh connection with structured replies: meta option {@code m} with {@code payload} gets {@code error}
     * as its only reply, the stream stays in sync, and the connection breaks exactly {@code ruleIds}.
     */
    private static void assertMetaRefused(Meta m, byte[] payload, OptionReplyType error, List<String> ruleIds,
                                          String what) throws Exception {
        standardSession(ruleIds, what, c -> {
            c.structuredReplies();
            assertRefusedThenInSync(c, type(m), payload, error);
        });
    }

    /** A LIST_META_CONTEXT answer that is base:allocation (id 0, reserved for LIST) then ACK. */
    private static void assertOnlyBaseAllocationListed(List<OptionReply> r) {
        assertEquals(2, r.size(), describeAll(r));
        assertEquals(new Context(0, ALLOCATION), context(r.get(0), OptionType.LIST_META_CONTEXT));
        assertReply(r.get(1), OptionType.LIST_META_CONTEXT, OptionReplyType.ACK);
    }

    /** Reads the reply to a BLOCK_STATUS that must fail: one ERROR chunk, DONE, error 22, consistent msglen. */
    private static void assertBlockStatusEinval(RawClient c) throws Exception {
        c.request(new Request(0, CommandType.BLOCK_STATUS.value, 99, 0, 4096));
        RawClient.Chunk ch = c.readChunk();
        assertEquals(ReplyType.ERROR.value, ch.type(), "chunk type 0x8001");
        assertTrue(ch.done(), "the error chunk ends the reply");
        assertEquals(99, ch.cookie());
        ByteBuffer b = ch.body();
        assertTrue(ch.payload().length >= 6);
        assertEquals(22, b.getInt(), "NBD_EINVAL");
        int msglen = Short.toUnsignedInt(b.getShort());
        assertEquals(ch.payload().length - 6, msglen, "message length fills the chunk");
    }
}
