package dev.nbdref.server;

import dev.nbdref.spec.Magic;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.testing.Verifies;
import dev.nbdref.wire.OptionReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.ConnectException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.nbdref.server.NegotiationSupport.DISK_FLAGS;
import static dev.nbdref.server.NegotiationSupport.DISK_SIZE;
import static dev.nbdref.server.NegotiationSupport.SEND_DF;
import static dev.nbdref.server.NegotiationSupport.UNKNOWN_OPTION;
import static dev.nbdref.server.NegotiationSupport.abort;
import static dev.nbdref.server.NegotiationSupport.assertInfoExport;
import static dev.nbdref.server.NegotiationSupport.assertListWorks;
import static dev.nbdref.server.NegotiationSupport.assertOptionGets;
import static dev.nbdref.server.NegotiationSupport.assertOnly;
import static dev.nbdref.server.NegotiationSupport.assertRefusedThenInSync;
import static dev.nbdref.server.NegotiationSupport.assertReply;
import static dev.nbdref.server.NegotiationSupport.bytes;
import static dev.nbdref.server.NegotiationSupport.cat;
import static dev.nbdref.server.NegotiationSupport.describeAll;
import static dev.nbdref.server.NegotiationSupport.infosBeforeAck;
import static dev.nbdref.server.NegotiationSupport.standardSession;
import static dev.nbdref.server.NegotiationSupport.u32;
import static dev.nbdref.server.NegotiationSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The payload-less options (ABORT, LIST, STARTTLS, STRUCTURED_REPLY), unknown options, and the robustness
 * of option framing: bad magic, oversized options, truncated options, option floods and shutdown.
 */
class NegotiationOptionsTest {

    // ------------------------------------------------------------------ unknown options, ABORT

    /**
     * The nbd-server handshake test: option 0x7654321 with a 4-byte payload gets ERR_UNSUP echoing the option;
     * the payload was skipped exactly, so a LIST that follows parses, and ABORT then gets its ACK.
     */
    @Test
    @Verifies({"S06", "S07", "S08"})
    void unknownOptionGetsErrUnsupAndTheStreamStaysInSync() throws Exception {
        standardSession(List.of(),
                c -> assertRefusedThenInSync(c, UNKNOWN_OPTION, new byte[] {1, 2, 3, 4}, OptionReplyType.ERR_UNSUP));
    }

    /** Other option numbers the server does not implement, including withdrawn PEEK_EXPORT and bit 31 set. */
    @ParameterizedTest(name = "option 0x{0}")
    @ValueSource(ints = {0, 4 /* PEEK_EXPORT */, 12, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF})
    @Verifies({"S06", "S07"})
    void otherUnimplementedOptionsGetErrUnsup(int option) throws Exception {
        standardSession(List.of(),
                c -> assertRefusedThenInSync(c, option, new byte[] {9, 9, 9}, OptionReplyType.ERR_UNSUP));
    }

    /** ABORT gets a bare ACK (option 2, length 0), then the connection ends; no violation. */
    @Test
    @Verifies({"S06", "S08"})
    void abortIsAcknowledgedThenClosed() throws Exception {
        standardSession(List.of(), c -> {
            c.sendOption(OptionType.ABORT, new byte[0]);
            assertArrayEquals(new OptionReply(2, 1, new byte[0]).encode(), c.readExactly(20));
            c.assertClosedByServer();
        });
    }

    /**
     * ABORT with data: the data is ignored (still ACK), and the SHOULD breach C06 is recorded. ABORT MUST be
     * answered with ACK whatever its size: a 2 MiB ABORT still gets the ACK (not ERR_TOO_BIG) and ends the session.
     */
    @ParameterizedTest(name = "{0} bytes of data")
    @ValueSource(ints = {3, 2 << 20})
    @Verifies({"S08", "C06"})
    void abortWithDataIsAcknowledgedAndRecordsC06(int dataLength) throws Exception {
        standardSession(List.of("C06"), c -> {
            assertOptionGets(c, OptionType.ABORT, bytes(dataLength, (byte) 'b'), OptionReplyType.ACK);
            c.assertClosedByServer();
        });
    }

    /** A client may send ABORT and close without reading the ACK; the server copes and serves the next client. */
    @Test
    @Verifies({"S08"})
    void clientClosingRightAfterAbortIsTolerated() throws Exception {
        assertServerKeepsServingAfter(List.of(), c -> c.sendOption(OptionType.ABORT, new byte[0]));
    }

    // ------------------------------------------------------------------ LIST

    /**
     * LIST: one SERVER reply per export, in configuration order: u32 name length, the name, then the
     * description as the rest of the payload; then ACK.
     */
    @Test
    @Verifies({"S06", "S74"})
    void listSendsOneServerReplyPerExportThenAck() throws Exception {
        standardSession(List.of(), c -> {
            List<OptionReply> r = c.option(OptionType.LIST, new byte[0]);
            assertEquals(3, r.size(), describeAll(r));
            assertReply(r.get(0), OptionType.LIST, OptionReplyType.SERVER);
            assertArrayEquals(cat(u32(4), utf8("disk"), utf8("a test disk")), r.get(0).payload());
            assertReply(r.get(1), OptionType.LIST, OptionReplyType.SERVER);
            assertArrayEquals(cat(u32(2), utf8("ro")), r.get(1).payload());
            assertReply(r.get(2), OptionType.LIST, OptionReplyType.ACK);
            abort(c);
        });
    }

    /** LIST with data: ERR_INVALID, C05, and the stream stays in sync (the next LIST works). */
    @Test
    @Verifies({"S21", "C05", "S11"})
    void listWithDataIsInvalidAndRecordsC05() throws Exception {
        standardSession(List.of("C05"),
                c -> assertRefusedThenInSync(c, OptionType.LIST, new byte[] {0, 0, 0, 0}, OptionReplyType.ERR_INVALID));
    }

    // ------------------------------------------------------------------ STARTTLS

    /** Without TLS configured (NOTLS) STARTTLS gets ERR_POLICY, never TLS_REQD, and plain negotiation goes on. */
    @Test
    @Verifies({"S24", "S23", "S30"})
    void startTlsWithoutTlsGetsErrPolicy() throws Exception {
        standardSession(List.of(), c -> {
            assertOptionGets(c, OptionType.STARTTLS, new byte[0], OptionReplyType.ERR_POLICY);
            // no option is ever refused with TLS_REQD in NOTLS: an unknown export is ERR_UNKNOWN
            assertOptionGets(c, OptionType.INFO, NegotiationSupport.info("nope"), OptionReplyType.ERR_UNKNOWN);
            assertOptionGets(c, OptionType.STARTTLS, new byte[0], OptionReplyType.ERR_POLICY);
            List<byte[]> infos = infosBeforeAck(c.go("disk"), OptionType.GO);
            assertInfoExport(infos, DISK_SIZE, DISK_FLAGS);
            NegotiationSupport.disconnect(c);
        });
    }

    /** STARTTLS with data: ERR_INVALID (never an ACK), C05, and the stream stays in sync. */
    @Test
    @Verifies({"S21", "C05"})
    void startTlsWithDataIsInvalidAndRecordsC05() throws Exception {
        standardSession(List.of("C05"),
                c -> assertRefusedThenInSync(c, OptionType.STARTTLS, utf8("hello"), OptionReplyType.ERR_INVALID));
    }

    // ------------------------------------------------------------------ STRUCTURED_REPLY

    /**
     * STRUCTURED_REPLY gets ACK; a second one gets ERR_INVALID but does not switch structured replies off:
     * GO still advertises SEND_DF. (The repeat is the client SHOULD breach C44, so that is what is recorded.)
     */
    @Test
    @Verifies({"S22", "S62"})
    void repeatedStructuredReplyIsInvalidButStructuredRepliesStayOn() throws Exception {
        standardSession(List.of("C44"), c -> {
            assertOptionGets(c, OptionType.STRUCTURED_REPLY, new byte[0], OptionReplyType.ACK);
            assertOptionGets(c, OptionType.STRUCTURED_REPLY, new byte[0], OptionReplyType.ERR_INVALID);
            List<byte[]> infos = infosBeforeAck(c.go("disk"), OptionType.GO);
            assertInfoExport(infos, DISK_SIZE, DISK_FLAGS | SEND_DF);
            NegotiationSupport.assertFlushAnsweredImmediately(c, true);
            NegotiationSupport.disconnect(c);
        });
    }

    /**
     * Repeating a state-changing option that already succeeded breaks the client SHOULD C44; a recording
     * server notes it.
     */
    @Test
    @Verifies({"C44"})
    void repeatedStructuredReplyRecordsC44() throws Exception {
        standardSession(List.of("C44"), c -> {
            c.structuredReplies();
            assertOptionGets(c, OptionType.STRUCTURED_REPLY, new byte[0], OptionReplyType.ERR_INVALID);
            abort(c);
        });
    }

    /**
     * STRUCTURED_REPLY with data: ERR_INVALID and C05; structured replies are not enabled by it (no SEND_DF),
     * and a clean STRUCTURED_REPLY afterwards still succeeds.
     */
    @Test
    @Verifies({"S21", "C05", "S62"})
    void structuredReplyWithDataIsInvalidAndRecordsC05() throws Exception {
        standardSession(List.of("C05"), c -> {
            assertOptionGets(c, OptionType.STRUCTURED_REPLY, new byte[] {1}, OptionReplyType.ERR_INVALID);
            List<OptionReply> info = c.option(OptionType.INFO, NegotiationSupport.info("disk"));
            assertInfoExport(infosBeforeAck(info, OptionType.INFO), DISK_SIZE, DISK_FLAGS);
            assertOptionGets(c, OptionType.STRUCTURED_REPLY, new byte[0], OptionReplyType.ACK);
            abort(c);
        });
    }

    // ------------------------------------------------------------------ framing robustness

    /** An option header whose magic is not IHAVEOPT cannot be framed: the server closes, recording C03. */
    @Test
    @Verifies({"C03", "S09"})
    void badOptionMagicClosesWithC03() throws Exception {
        assertOptionHeaderClosesConnection(Magic.IHAVEOPT ^ 1, OptionType.LIST.value, 0, "C03");
    }

    /**
     * An option length above 32 MiB is treated as a denial of service: the server closes at once (the client
     * never sends the payload, so the server cannot have waited for it) and records C38.
     */
    @Test
    @Verifies({"C38", "S09"})
    void optionLongerThan32MiBClosesWithoutReadingIt() throws Exception {
        assertOptionHeaderClosesConnection(Magic.IHAVEOPT, UNKNOWN_OPTION, 33 << 20, "C38");
    }

    /** An unknown 2 MiB option is skipped, answered with ERR_TOO_BIG, and the next option parses. */
    @Test
    @Verifies({"S07", "S09", "S11"})
    void twoMiBOptionIsSkippedAndAnsweredTooBig() throws Exception {
        byte[] payload = bytes(2 << 20, (byte) 0x49); // 'I': a desynchronised server would see IHAVEOPT-like bytes
        standardSession(List.of(),
                c -> assertRefusedThenInSync(c, UNKNOWN_OPTION, payload, OptionReplyType.ERR_TOO_BIG));
    }

    /**
     * An option of exactly 32 MiB is not a denial of service (the spec's portable bound): it is skipped,
     * answered with an error (ERR_TOO_BIG), and the next option parses.
     */
    @Test
    @Verifies({"S09", "S11", "C38"})
    void optionOfExactly32MiBIsSkippedNotDisconnected() throws Exception {
        standardSession(List.of(),
                c -> assertRefusedThenInSync(c, UNKNOWN_OPTION, new byte[32 << 20], OptionReplyType.ERR_TOO_BIG));
    }

    /**
     * A client that drops the connection in the middle of an option ends only its own connection (recorded as
     * the hard disconnect C17); the server goes on serving new clients.
     */
    @Test
    @Verifies({"C17"})
    void clientClosingMidOptionEndsCleanlyAndServerKeepsServing() throws Exception {
        // the header announces 100 bytes of INFO payload; the client sends 10 and closes
        assertServerKeepsServingAfter(List.of("C17"), c -> c.send(ByteBuffer.allocate(16 + 10)
                .putLong(Magic.IHAVEOPT).putInt(OptionType.INFO.value).putInt(100).array()));
    }

    /** A client that closes between options without ABORT has hard-disconnected: C17. */
    @Test
    @Verifies({"C17"})
    void clientClosingBetweenOptionsWithoutAbortRecordsC17() throws Exception {
        standardSession(List.of("C17"), NegotiationSupport::assertListWorks);
    }

    /**
     * Option floods are bounded: 4096 options are served, the 4097th ends the connection (C39). The limit
     * is high enough that no real client reaches it.
     */
    @Test
    @Verifies({"C39", "S09"})
    void optionFloodIsCutOffAfter4096Options() throws Exception {
        standardSession(List.of("C39"), c -> {
            for (int i = 0; i < 4096; i++) {
                c.sendOption(UNKNOWN_OPTION, new byte[0]);
                assertReply(c.readOptionReply(), UNKNOWN_OPTION, OptionReplyType.ERR_UNSUP);
            }
            c.sendOption(UNKNOWN_OPTION, new byte[0]);
            c.assertClosedByServer();
        });
    }

    // ------------------------------------------------------------------ shutdown

    /**
     * Once shutdown begins, a client still negotiating gets ERR_SHUTDOWN for new options (LIST, GO), but ABORT
     * is still acknowledged; the connection then ends and the shutdown completes.
     */
    @Test
    @Verifies({"S10"})
    void optionsDuringShutdownGetErrShutdownButAbortIsAcked() throws Exception {
        // GO after ERR_SHUTDOWN: the client should have ended, hence C16
        negotiateThroughShutdown(List.of("C16"), NegotiationSupport::assertListWorks, c -> {
            assertOptionGets(c, OptionType.LIST, new byte[0], OptionReplyType.ERR_SHUTDOWN);
            assertOptionGets(c, OptionType.GO, NegotiationSupport.info("disk"), OptionReplyType.ERR_SHUTDOWN);
        });
    }

    /** During shutdown every new option but ABORT gets ERR_SHUTDOWN, an oversized (2 MiB) one included. */
    @Test
    @Verifies({"S10"})
    void oversizedOptionDuringShutdownGetsErrShutdown() throws Exception {
        negotiateThroughShutdown(List.of(), c -> { }, c -> {
            c.sendOption(UNKNOWN_OPTION, new byte[2 << 20]);
            assertOnly(c.readUntilFinal(), UNKNOWN_OPTION, OptionReplyType.ERR_SHUTDOWN);
        });
    }

    /** A client that keeps sending options after ERR_SHUTDOWN instead of aborting breaks C16. */
    @Test
    @Verifies({"C16"})
    void optionAfterErrShutdownRecordsC16() throws Exception {
        negotiateThroughShutdown(List.of("C16"), c -> { }, c -> {
            assertOptionGets(c, OptionType.LIST, new byte[0], OptionReplyType.ERR_SHUTDOWN);
            assertOptionGets(c, OptionType.LIST, new byte[0], OptionReplyType.ERR_SHUTDOWN);
        });
    }

    // ------------------------------------------------------------------ helpers

    /**
     * A first client runs {@code steps} and closes its socket without waiting for the server; it broke exactly
     * {@code ruleIds}, and a second client on the same server then negotiates normally and breaks no rule.
     */
    private static void assertServerKeepsServingAfter(List<String> ruleIds, NegotiationSupport.Steps steps)
            throws Exception {
        try (TestServer s = TestServer.standard()) {
            try (RawClient c = s.connect()) {
                c.handshake();
                steps.run(c);
            }
            assertEquals(ruleIds, s.ruleIdsOf(1));
            try (RawClient c = s.connect()) {
                c.handshake();
                assertListWorks(c);
                abort(c);
            }
            assertEquals(List.of(), s.ruleIdsOf(2));
        }
    }

    /** Sends a bare 16-byte option header that cannot be served; the server must close and record {@code ruleId}. */
    private static void assertOptionHeaderClosesConnection(long magic, int option, int length, String ruleId)
            throws Exception {
        standardSession(List.of(ruleId), c -> {
            c.send(ByteBuffer.allocate(16).putLong(magic).putInt(option).putInt(length).array());
            c.assertClosedByServer();
        });
    }

    /**
     * Runs {@code before}, starts shutdown, runs {@code during}; then ABORT must still get its ACK (S10), the
     * connection end with exactly {@code ruleIds} recorded, and the shutdown complete.
     */
    private static void negotiateThroughShutdown(List<String> ruleIds, NegotiationSupport.Steps before,
                                                 NegotiationSupport.Steps during) throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            before.run(c);
            Thread stopper = startShutdown(s);
            during.run(c);
            assertOptionGets(c, OptionType.ABORT, new byte[0], OptionReplyType.ACK);
            c.assertClosedByServer();
            assertEquals(ruleIds, s.ruleIdsOf(1));
            stopper.join(TimeUnit.SECONDS.toMillis(10));
            assertTrue(!stopper.isAlive(), "shutdown did not complete");
        }
    }

    /**
     * Calls shutdown on a background thread and returns once it has begun: the listener closes right after
     * the shutdown flag is set, so a refused connection proves the flag is up.
     */
    private static Thread startShutdown(TestServer s) throws Exception {
        Thread t = new Thread(s.server::shutdown, "test-shutdown");
        t.setDaemon(true);
        t.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            try (Socket probe = new Socket("127.0.0.1", s.port())) {
                Thread.sleep(10);
            } catch (ConnectException refused) {
                return t;
            }
        }
        fail("the server did not stop listening within 5 s of shutdown()");
        return t;
    }
}
