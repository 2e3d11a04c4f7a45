package dev.nbdref.server;

import dev.nbdref.server.NegotiationTlsSupport.TlsOptionClient;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.testing.Verifies;
import dev.nbdref.tls.TlsMode;
import dev.nbdref.wire.OptionHeader;
import dev.nbdref.wire.OptionReply;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.net.ssl.SSLContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static dev.nbdref.server.NegotiationSupport.UNKNOWN_OPTION;
import static dev.nbdref.server.NegotiationSupport.assertOnly;
import static dev.nbdref.server.NegotiationSupport.assertReply;
import static dev.nbdref.server.NegotiationSupport.describeAll;
import static dev.nbdref.server.NegotiationSupport.info;
import static dev.nbdref.server.NegotiationSupport.meta;
import static dev.nbdref.server.NegotiationSupport.utf8;
import static dev.nbdref.server.NegotiationTlsSupport.OPEN;
import static dev.nbdref.server.NegotiationTlsSupport.SECRET;
import static dev.nbdref.server.NegotiationTlsSupport.server;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TLS modes in the option phase, byte by byte: NOTLS (S24), FORCEDTLS (S27), SELECTIVETLS (S28), the
 * STARTTLS exchange itself (S25, S26, C05, C10, C11) and what holds once TLS is up (S29, S31).
 */
@Timeout(60)
class NegotiationTlsTest {
    private static final String ALLOCATION = "base:allocation";

    @TempDir
    static Path tmp;
    static Path pki;
    static SSLContext tls;

    @BeforeAll
    static void credentials() throws Exception {
        pki = NegotiationTlsSupport.pki(tmp.resolve("pki"));
        tls = NegotiationTlsSupport.clientContext(pki);
    }

    private static TestServer serve(TlsMode mode) throws Exception { return server(mode, pki); }

    private static List<String> serverNames(List<OptionReply> replies) {
        return replies.stream().filter(r -> r.replyType() == OptionReplyType.SERVER)
                .map(r -> {
                    int len = java.nio.ByteBuffer.wrap(r.payload()).getInt();
                    return new String(r.payload(), 4, len, StandardCharsets.UTF_8);
                }).toList();
    }

    private static void assertNoTlsReqd(List<OptionReply> replies) {
        for (OptionReply r : replies) {
            assertNotEquals(OptionReplyType.ERR_TLS_REQD, r.replyType(), "unexpected TLS_REQD: " + describeAll(replies));
        }
    }

    private static void assertFinal(List<OptionReply> replies, OptionType option, OptionReplyType type) {
        assertReply(replies.get(replies.size() - 1), option, type);
    }

    private static void abortPolitely(TlsOptionClient c) throws Exception {
        assertOnly(c.option(OptionType.ABORT, new byte[0]), OptionType.ABORT, OptionReplyType.ACK);
    }

    /** In transmission without structured replies: FLUSH gets a 16-byte simple reply with no error. */
    private static void assertSimpleFlush(TlsOptionClient c) throws Exception {
        c.send(new Request(0, CommandType.FLUSH.value, 42, 0, 0).encodeCompact());
        assertEquals(0, c.readSimpleReplyError(42));
        c.send(new Request(0, CommandType.DISC.value, 43, 0, 0).encodeCompact());
    }

    // ------------------------------------------------------------------ NOTLS

    /** NOTLS: STARTTLS is refused with ERR_POLICY, the session goes on, and nothing says TLS_REQD. */
    @Test
    @Verifies({"S24"})
    void notlsRefusesStartTlsWithPolicyAndNeverSaysTlsRequired() throws Exception {
        try (TestServer s = serve(TlsMode.OFF); TlsOptionClient c = new TlsOptionClient(s.port())) {
            c.handshake();
            assertOnly(c.option(OptionType.STARTTLS, new byte[0]), OptionType.STARTTLS, OptionReplyType.ERR_POLICY);
            List<OptionReply> list = c.option(OptionType.LIST, new byte[0]);
            assertNoTlsReqd(list);
            assertEquals(List.of(OPEN), serverNames(list));
            assertOnly(c.option(UNKNOWN_OPTION, new byte[0]), UNKNOWN_OPTION, OptionReplyType.ERR_UNSUP);
            assertFinal(c.option(OptionType.INFO, info(OPEN)), OptionType.INFO, OptionReplyType.ACK);
            assertOnly(c.option(OptionType.INFO, info("nope")), OptionType.INFO, OptionReplyType.ERR_UNKNOWN);
            assertOnly(c.option(OptionType.STRUCTURED_REPLY, new byte[0]), OptionType.STRUCTURED_REPLY,
                    OptionReplyType.ACK);
            assertFinal(c.option(OptionType.SET_META_CONTEXT, meta(OPEN, ALLOCATION)), OptionType.SET_META_CONTEXT,
                    OptionReplyType.ACK);
            List<OptionReply> go = c.option(OptionType.GO, info(OPEN));
            assertNoTlsReqd(go);
            assertFinal(go, OptionType.GO, OptionReplyType.ACK);
        }
    }

    // ------------------------------------------------------------------ STARTTLS itself

    /** The first STARTTLS is ACKed and TLS follows; a second one over TLS is ERR_INVALID, connection kept. */
    @ParameterizedTest
    @EnumSource(value = TlsMode.class, names = {"ON", "REQUIRE"})
    @Verifies({"S25", "C10"})
    void secondStartTlsIsInvalidAndTheSessionContinues(TlsMode mode) throws Exception {
        try (TestServer s = serve(mode); TlsOptionClient c = new TlsOptionClient(s.port())) {
            c.handshake();
            c.startTls(tls);
            assertOnly(c.option(OptionType.STARTTLS, new byte[0]), OptionType.STARTTLS, OptionReplyType.ERR_INVALID);
            List<OptionReply> list = c.option(OptionType.LIST, new byte[0]);
            assertFinal(list, OptionType.LIST, OptionReplyType.ACK);
            assertEquals(List.of(OPEN, SECRET), serverNames(list));
            abortPolitely(c);
            c.readUntilClosed();
            assertTrue(s.ruleIdsOf(1).contains("C10"), "C10 recorded: " + s.ruleIdsOf(1));
        }
    }

    /** STARTTLS with data is ERR_INVALID in every mode, the data is skipped, and a proper STARTTLS still works. */
    @ParameterizedTest
    @EnumSource(TlsMode.class)
    @Verifies({"C05"})
    void startTlsWithPayloadIsInvalidAndTheConnectionKept(TlsMode mode) throws Exception {
        try (TestServer s = serve(mode); TlsOptionClient c = new TlsOptionClient(s.port())) {
            c.handshake();
            assertOnly(c.option(OptionType.STARTTLS, new byte[] {1, 2, 3}), OptionType.STARTTLS,
                    OptionReplyType.ERR_INVALID);
            if (mode == TlsMode.OFF) {
                assertOnly(c.option(OptionType.STARTTLS, new byte[0]), OptionType.STARTTLS, OptionReplyType.ERR_POLICY);
            } else {
                c.startTls(tls);
                assertFinal(c.option(OptionType.INFO, info(SECRET)), OptionType.INFO, OptionReplyType.ACK);
            }
            abortPolitely(c);
            c.readUntilClosed();
            assertTrue(s.ruleIdsOf(1).contains("C05"), "C05 recorded: " + s.ruleIdsOf(1));
        }
    }

    /** After the ACK, plain NBD bytes instead of a ClientHello end the session at once, with nothing sent. */
    @ParameterizedTest
    @EnumSource(value = TlsMode.class, names = {"ON", "REQUIRE"})
    @Verifies({"C11", "S26"})
    void plainBytesAfterTheStartTlsAckDisconnect(TlsMode mode) throws Exception {
        try (TestServer s = serve(mode); TlsOptionClient c = new TlsOptionClient(s.port())) {
            c.handshake();
            assertOnly(c.option(OptionType.STARTTLS, new byte[0]), OptionType.STARTTLS, OptionReplyType.ACK);
            c.send(OptionHeader.encode(OptionType.LIST.value, new byte[0]));
            c.assertClosedSilently();
            assertTrue(s.ruleIdsOf(1).contains("C11"), "C11 recorded: " + s.ruleIdsOf(1));
        }
    }

    /** A ClientHello the server cannot parse fails the handshake, and the session ends (at most a TLS alert). */
    @ParameterizedTest
    @EnumSource(value = TlsMode.class, names = {"ON", "REQUIRE"})
    @Verifies({"S26"})
    void failedHandshakeEndsTheSession(TlsMode mode) throws Exception {
        try (TestServer s = serve(mode); TlsOptionClient c = new TlsOptionClient(s.port())) {
            c.handshake();
            assertOnly(c.option(OptionType.STARTTLS, new byte[0]), OptionType.STARTTLS, OptionReplyType.ACK);
            // A handshake record holding a ClientHello with a body too short to be one.
            c.send(new byte[] {0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00, 0x00, 0x04, 0x03, 0x03, 0x00, 0x00});
            byte[] got = c.readUntilClosed();
            assertTrue(got.length == 0 || got[0] == 0x15, "only a TLS alert may precede the close, got first byte 0x"
                    + Integer.toHexString(got.length == 0 ? 0 : got[0] & 0xff));
            s.violationsOf(1); // the connection has ended
        }
    }

    /** A client that rejects the server's certificate fails the handshake; the server ends the session too. */
    @Test
    @Verifies({"S26"})
    void handshakeRejectedByTheClientEndsTheSession(@TempDir Path other) throws Exception {
        SSLContext wrongCa = NegotiationTlsSupport.clientContext(NegotiationTlsSupport.pki(other));
        try (TestServer s = serve(TlsMode.REQUIRE); TlsOptionClient c = new TlsOptionClient(s.port())) {
            c.handshake();
            try {
                c.startTls(wrongCa);
                throw new AssertionError("the handshake should have failed: the server's CA is not trusted");
            } catch (javax.net.ssl.SSLException expected) {
                // the client aborted the handshake
            }
            s.violationsOf(1); // the server ended the connection instead of waiting for more
        }
    }

    // ------------------------------------------------------------------ FORCEDTLS

    /** FORCEDTLS: every option but STARTTLS and ABORT gets TLS_REQD before TLS, unknown ones, INFO and LIST too. */
    @Test
    @Verifies({"S27"})
    void forcedTlsRefusesEveryOptionButStartTlsAndAbort() throws Exception {
        try (TestServer s = serve(TlsMode.REQUIRE); TlsOptionClient c = new TlsOptionClient(s.port())) {
            c.handshake();
            assertOnly(c.option(OptionType.LIST, new byte[0]), OptionType.LIST, OptionReplyType.ERR_TLS_REQD);
            assertOnly(c.option(OptionType.INFO, info(OPEN)), OptionType.INFO, OptionReplyType.ERR_TLS_REQD);
            assertOnly(c.option(OptionType.INFO, info("nope")), OptionType.INFO, OptionReplyType.ERR_TLS_REQD);
            assertOnly(c.option(UNKNOWN_OPTION, new byte[] {9, 9}), UNKNOWN_OPTION, OptionReplyType.ERR_TLS_REQD);
            assertOnly(c.option(OptionType.STRUCTURED_REPLY, new byte[0]), OptionType.STRUCTURED_REPLY,
                    OptionReplyType.ERR_TLS_REQD);
            assertOnly(c.option(OptionType.EXTENDED_HEADERS, new byte[0]), OptionType.EXTENDED_HEADERS,
                    OptionReplyType.ERR_TLS_REQD);
            assertOnly(c.option(OptionType.LIST_META_CONTEXT, meta(OPEN, ALLOCATION)), OptionType.LIST_META_CONTEXT,
                    OptionReplyType.ERR_TLS_REQD);
            assertOnly(c.option(OptionType.SET_META_CONTEXT, meta(OPEN, ALLOCATION)), OptionType.SET_META_CONTEXT,
                    OptionReplyType.ERR_TLS_REQD);
            assertOnly(c.option(OptionType.GO, info(OPEN)), OptionType.GO, OptionReplyType.ERR_TLS_REQD);
            abortPolitely(c);
            c.readUntilClosed();
        }
    }

    /** FORCEDTLS: EXPORT_NAME before TLS cannot be refused with an error, so the session ends with nothing sent. */
    @Test
    @Verifies({"S27"})
    void forcedTlsExportNameBeforeTlsDisconnects() throws Exception {
        try (TestServer s = serve(TlsMode.REQUIRE); TlsOptionClient c = new TlsOptionClient(s.port())) {
            c.handshake();
            c.sendOption(OptionType.EXPORT_NAME.value, utf8(OPEN));
            c.assertClosedSilently();
        }
    }

    // ------------------------------------------------------------------ SELECTIVETLS

    /** SELECTIVETLS: the tls-only export is hidden from LIST and refused with TLS_REQD on INFO and GO. */
    @Test
    @Verifies({"S28"})
    void selectiveTlsHidesAndRefusesTheTlsOnlyExport() throws Exception {
        try (TestServer s = serve(TlsMode.ON); TlsOptionClient c = new TlsOptionClient(s.port())) {
            c.handshake();
            List<OptionReply> list = c.option(OptionType.LIST, new byte[0]);
            assertFinal(list, OptionType.LIST, OptionReplyType.ACK);
            assertEquals(List.of(OPEN), serverNames(list), "the tls-only export must not be listed before TLS");
            assertOnly(c.option(OptionType.INFO, info(SECRET)), OptionType.INFO, OptionReplyType.ERR_TLS_REQD);
            // Other options never get TLS_REQD in SELECTIVETLS.
            assertOnly(c.option(OptionType.STRUCTURED_REPLY, new byte[0]), OptionType.STRUCTURED_REPLY,
                    OptionReplyType.ACK);
            assertOnly(c.option(UNKNOWN_OPTION, new byte[0]), UNKNOWN_OPTION, OptionReplyType.ERR_UNSUP);
            List<OptionReply> listMeta = c.option(OptionType.LIST_META_CONTEXT, meta(SECRET, ALLOCATION));
            assertNoTlsReqd(listMeta);
            assertOnly(c.option(OptionType.GO, info(SECRET)), OptionType.GO, OptionReplyType.ERR_TLS_REQD);
            assertFinal(c.option(OptionType.INFO, info(OPEN)), OptionType.INFO, OptionReplyType.ACK);
            abortPolitely(c);
            c.readUntilClosed();
        }
    }

    /** SELECTIVETLS: the non-TLS export works in plain text all the way into transmission. */
    @Test
    @Verifies({"S28"})
    void selectiveTlsServesThePlainExportWithoutTls() throws Exception {
        try (TestServer s = serve(TlsMode.ON); TlsOptionClient c = new TlsOptionClient(s.port())) {
            c.handshake();
            List<OptionReply> go = c.option(OptionType.GO, info(OPEN));
            assertNoTlsReqd(go);
            assertFinal(go, OptionType.GO, OptionReplyType.ACK);
            assertSimpleFlush(c);
            c.readUntilClosed();
        }
    }

    /** SELECTIVETLS: EXPORT_NAME for the tls-only export ends the session; for the plain one it works. */
    @Test
    @Verifies({"S28"})
    void selectiveTlsExportNameOfTheTlsOnlyExportDisconnects() throws Exception {
        try (TestServer s = serve(TlsMode.ON)) {
            try (TlsOptionClient c = new TlsOptionClient(s.port())) {
                c.handshake();
                c.sendOption(OptionType.EXPORT_NAME.value, utf8(SECRET));
                c.assertClosedSilently();
            }
            try (TlsOptionClient c = new TlsOptionClient(s.port())) {
                c.handshake();
                c.sendOption(OptionType.EXPORT_NAME.value, utf8(OPEN));
                byte[] reply = c.readExactly(10); // size (8) and transmission flags (2); NO_ZEROES: no padding
                assertEquals(1 << 20, java.nio.ByteBuffer.wrap(reply).getLong());
                assertSimpleFlush(c);
                c.readUntilClosed();
            }
        }
    }

    // ------------------------------------------------------------------ after TLS

    /** Once TLS is up nothing gets TLS_REQD: LIST shows everything, INFO/GO of the tls-only export succeed. */
    @ParameterizedTest
    @EnumSource(value = TlsMode.class, names = {"ON", "REQUIRE"})
    @Verifies({"S29", "S25"})
    void noTlsRequiredOnceTlsIsUp(TlsMode mode) throws Exception {
        try (TestServer s = serve(mode); TlsOptionClient c = new TlsOptionClient(s.port())) {
            c.handshake();
            c.startTls(tls);
            List<OptionReply> list = c.option(OptionType.LIST, new byte[0]);
            assertNoTlsReqd(list);
            assertEquals(List.of(OPEN, SECRET), serverNames(list));
            assertOnly(c.option(UNKNOWN_OPTION, new byte[0]), UNKNOWN_OPTION, OptionReplyType.ERR_UNSUP);
            assertOnly(c.option(OptionType.INFO, info("nope")), OptionType.INFO, OptionReplyType.ERR_UNKNOWN);
            assertFinal(c.option(OptionType.INFO, info(OPEN)), OptionType.INFO, OptionReplyType.ACK);
            assertFinal(c.option(OptionType.INFO, info(SECRET)), OptionType.INFO, OptionReplyType.ACK);
            List<OptionReply> go = c.option(OptionType.GO, info(SECRET));
            assertNoTlsReqd(go);
            assertFinal(go, OptionType.GO, OptionReplyType.ACK);
            assertSimpleFlush(c);
            c.readUntilClosed();
        }
    }

    /**
     * STARTTLS wipes what was negotiated in plain text: structured replies must be renegotiated before
     * SET_META_CONTEXT (C12), a repeat STRUCTURED_REPLY is no longer a duplicate, and GO without it gets simple
     * replies.
     */
    @Test
    @Verifies({"S31", "C12"})
    void startTlsForgetsStructuredRepliesAndMetaContexts() throws Exception {
        try (TestServer s = serve(TlsMode.ON); TlsOptionClient c = new TlsOptionClient(s.port())) {
            c.handshake();
            assertOnly(c.option(OptionType.STRUCTURED_REPLY, new byte[0]), OptionType.STRUCTURED_REPLY,
                    OptionReplyType.ACK);
            List<OptionReply> set = c.option(OptionType.SET_META_CONTEXT, meta(OPEN, ALLOCATION));
            assertFinal(set, OptionType.SET_META_CONTEXT, OptionReplyType.ACK);
            assertEquals(2, set.size(), "one context then ACK: " + describeAll(set));
            c.startTls(tls);
            assertOnly(c.option(OptionType.SET_META_CONTEXT, meta(OPEN, ALLOCATION)), OptionType.SET_META_CONTEXT,
                    OptionReplyType.ERR_INVALID);
            // No meta context survived: GO without renegotiation shows no structured replies either.
            List<OptionReply> go = c.option(OptionType.GO, info(OPEN));
            assertFinal(go, OptionType.GO, OptionReplyType.ACK);
            assertSimpleFlush(c);
            c.readUntilClosed();
            assertTrue(s.ruleIdsOf(1).contains("C12"), "C12 recorded: " + s.ruleIdsOf(1));
        }
    }

    /** After STARTTLS, STRUCTURED_REPLY and EXTENDED_HEADERS negotiated in plain text can (must) be sent again. */
    @Test
    @Verifies({"S31"})
    void startTlsForgetsStructuredRepliesAndExtendedHeaders() throws Exception {
        try (TestServer s = serve(TlsMode.ON); TlsOptionClient c = new TlsOptionClient(s.port())) {
            c.handshake();
            assertOnly(c.option(OptionType.EXTENDED_HEADERS, new byte[0]), OptionType.EXTENDED_HEADERS,
                    OptionReplyType.ACK);
            c.startTls(tls);
            // With extended headers still in force this would be ERR_EXT_HEADER_REQD.
            assertOnly(c.option(OptionType.STRUCTURED_REPLY, new byte[0]), OptionType.STRUCTURED_REPLY,
                    OptionReplyType.ACK);
            List<OptionReply> set = c.option(OptionType.SET_META_CONTEXT, meta(SECRET, ALLOCATION));
            assertFinal(set, OptionType.SET_META_CONTEXT, OptionReplyType.ACK);
            abortPolitely(c);
            c.readUntilClosed();
            assertFalse(s.ruleIdsOf(1).contains("C44"), "nothing was negotiated twice: " + s.ruleIdsOf(1));
        }
    }
}
