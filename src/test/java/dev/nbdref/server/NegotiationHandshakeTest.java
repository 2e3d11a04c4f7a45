package dev.nbdref.server;

import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.testing.Verifies;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.List;

import static dev.nbdref.server.NegotiationSupport.DISK_FLAGS;
import static dev.nbdref.server.NegotiationSupport.DISK_SIZE;
import static dev.nbdref.server.NegotiationSupport.HEX;
import static dev.nbdref.server.NegotiationSupport.RO_FLAGS;
import static dev.nbdref.server.NegotiationSupport.SEND_DF;
import static dev.nbdref.server.NegotiationSupport.UNKNOWN_OPTION;
import static dev.nbdref.server.NegotiationSupport.abort;
import static dev.nbdref.server.NegotiationSupport.assertFlushAnsweredImmediately;
import static dev.nbdref.server.NegotiationSupport.bytes;
import static dev.nbdref.server.NegotiationSupport.disconnect;
import static dev.nbdref.server.NegotiationSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The greeting, the client flags and NBD_OPT_EXPORT_NAME, byte by byte (spec "Newstyle negotiation",
 * "Handshake flags", "Client flags").
 */
class NegotiationHandshakeTest {
    private static final int FIXED = 0x1;
    private static final int NO_ZEROES = 0x2;

    /** The server opens with exactly NBDMAGIC, IHAVEOPT and the flags FIXED_NEWSTYLE|NO_ZEROES (18 bytes). */
    @Test
    @Verifies({"S01", "S02"})
    void greetingIsNbdmagicIhaveoptAndExactlyTwoHandshakeFlags() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            byte[] greeting = c.readExactly(18);
            assertEquals("4e42444d41474943" + "49484156454f5054" + "0003", HEX.formatHex(greeting));
            c.sendInt(FIXED | NO_ZEROES);
            abort(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /**
     * Client flags with a bit the spec does not define (alone or next to valid ones) make the server drop the
     * connection without sending anything, recording C01.
     */
    @ParameterizedTest(name = "client flags 0x{0}")
    @ValueSource(ints = {0x4, 0x5, 0x7, 0x8, 0x80000000, 0x80000003, 0xFFFFFFFF})
    @Verifies({"S03", "C01"})
    void unknownClientFlagClosesTheConnection(int flags) throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake(flags);
            c.assertClosedByServer();
            assertEquals(List.of("C01"), s.ruleIdsOf(1));
        }
    }

    /** C_NO_ZEROES alone is legal, because the server offered NO_ZEROES: negotiation goes on. */
    @Test
    @Verifies({"S03", "S04"})
    void noZeroesWithoutFixedNewstyleIsAccepted() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake(NO_ZEROES);
            c.sendOption(OptionType.EXPORT_NAME, utf8("disk"));
            assertArrayEquals(ByteBuffer.allocate(10).putLong(DISK_SIZE).putShort((short) DISK_FLAGS).array(),
                    c.readExactly(10));
            assertFlushAnsweredImmediately(c, false);
            disconnect(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /**
     * EXPORT_NAME answers size (u64) and flags (u16), then 124 zeros unless C_NO_ZEROES was set: 134 bytes
     * without it, 10 with it. The next bytes are the reply to a FLUSH, so nothing else was sent.
     */
    @ParameterizedTest(name = "client flags 0x{0}")
    @ValueSource(ints = {0x0, 0x1, 0x2, 0x3})
    @Verifies({"S04", "S61"})
    void exportNameReplyIs134BytesOr10WithNoZeroes(int clientFlags) throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake(clientFlags);
            c.sendOption(OptionType.EXPORT_NAME, utf8("disk"));
            boolean noZeroes = (clientFlags & NO_ZEROES) != 0;
            ByteBuffer expected = ByteBuffer.allocate(noZeroes ? 10 : 134).putLong(DISK_SIZE).putShort((short) DISK_FLAGS);
            assertArrayEquals(expected.array(), c.readExactly(noZeroes ? 10 : 134));
            assertFlushAnsweredImmediately(c, false);
            disconnect(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /** The empty EXPORT_NAME selects the default export (here the first one, "disk"). */
    @Test
    @Verifies({"S04"})
    void emptyExportNameSelectsTheDefaultExport() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            c.sendOption(OptionType.EXPORT_NAME, new byte[0]);
            assertArrayEquals(ByteBuffer.allocate(10).putLong(DISK_SIZE).putShort((short) DISK_FLAGS).array(),
                    c.readExactly(10));
            disconnect(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /** EXPORT_NAME on the read-only export advertises READ_ONLY and no write-side flags. */
    @Test
    @Verifies({"S04", "S62"})
    void exportNameOnReadOnlyExportCarriesItsFlags() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            c.sendOption(OptionType.EXPORT_NAME, utf8("ro"));
            assertArrayEquals(ByteBuffer.allocate(10).putLong(DISK_SIZE).putShort((short) RO_FLAGS).array(),
                    c.readExactly(10));
            disconnect(c);
        }
    }

    /** After STRUCTURED_REPLY, EXPORT_NAME's flags include SEND_DF, and FLUSH gets a NONE chunk. */
    @Test
    @Verifies({"S04", "S62"})
    void exportNameAfterStructuredRepliesAdvertisesDf() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            c.structuredReplies();
            c.sendOption(OptionType.EXPORT_NAME, utf8("disk"));
            assertArrayEquals(ByteBuffer.allocate(10).putLong(DISK_SIZE).putShort((short) (DISK_FLAGS | SEND_DF))
                    .array(), c.readExactly(10));
            assertFlushAnsweredImmediately(c, true);
            disconnect(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /** EXPORT_NAME for an unknown export has no error reply: the server closes without sending a byte. */
    @ParameterizedTest(name = "client flags 0x{0}")
    @ValueSource(ints = {0x0, 0x3})
    @Verifies({"S05", "S09"})
    void exportNameForUnknownExportClosesWithoutAnyByte(int clientFlags) throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake(clientFlags);
            c.sendOption(OptionType.EXPORT_NAME, utf8("no-such-export"));
            c.assertClosedByServer();
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake(clientFlags);
            c.sendOption(OptionType.EXPORT_NAME, utf8("DISK"));
            c.assertClosedByServer(); // names are compared exactly
        }
    }

    /** An EXPORT_NAME that is not a valid string (NUL, bad UTF-8, over 4096 bytes) closes silently with C09. */
    @ParameterizedTest(name = "name {0}")
    @ValueSource(strings = {"nul", "utf8", "long"})
    @Verifies({"S05", "C09"})
    void exportNameWithInvalidStringClosesWithC09(String kind) throws Exception {
        byte[] name = switch (kind) {
            case "nul" -> new byte[] {'d', 0, 's', 'k'};
            case "utf8" -> new byte[] {'d', (byte) 0xC3, 0x28};
            default -> bytes(4097, (byte) 'a');
        };
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            c.sendOption(OptionType.EXPORT_NAME, name);
            c.assertClosedByServer();
            assertEquals(List.of("C09"), s.ruleIdsOf(1));
        }
    }

    /**
     * An EXPORT_NAME too long to be a name (2 MiB) still gets no option reply, because EXPORT_NAME has none:
     * the server must close without sending anything (a 20-byte ERR_TOO_BIG would be read by the client as
     * the export size and flags).
     */
    @Test
    @Verifies({"S05", "S06", "C09"})
    void oversizedExportNameClosesWithoutAnOptionReply() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            sendMayBeCutShort(c, OptionType.EXPORT_NAME.value, bytes(2 << 20, (byte) 'a'));
            c.assertClosedByServer();
            assertEquals(List.of("C09"), s.ruleIdsOf(1));
        }
    }

    /** A legacy client (flags 0, no C_FIXED_NEWSTYLE) that sends any option but EXPORT_NAME is cut off: C02. */
    @ParameterizedTest(name = "option {0}")
    @ValueSource(ints = {3 /* LIST */, 5 /* STARTTLS */, 6 /* INFO */, 7 /* GO */, 8 /* STRUCTURED_REPLY */,
            UNKNOWN_OPTION})
    @Verifies({"C02", "S09"})
    void legacyClientSendingAnotherOptionIsClosedWithC02(int option) throws Exception {
        byte[] payload = (option == 6 || option == 7) ? NegotiationSupport.info("disk") : new byte[0];
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake(0);
            c.sendOption(option, payload);
            c.assertClosedByServer();
            assertEquals(List.of("C02"), s.ruleIdsOf(1));
        }
    }

    /**
     * A legacy client cannot parse option replies, so even an oversized (2 MiB) option from it must get no
     * option reply: the server closes and records C02.
     */
    @Test
    @Verifies({"C02", "S09"})
    void legacyClientOversizedOptionGetsNoOptionReply() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake(0);
            sendMayBeCutShort(c, OptionType.LIST.value, bytes(2 << 20, (byte) 0));
            c.assertClosedByServer();
            assertEquals(List.of("C02"), s.ruleIdsOf(1));
        }
    }

    /**
     * An option sent after EXPORT_NAME is read as a transmission request; its magic is wrong, so the server
     * records C14 and hard-disconnects.
     */
    @Test
    @Verifies({"C14"})
    void optionAfterExportNameIsAProtocolError() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            c.sendOption(OptionType.EXPORT_NAME, utf8("disk"));
            c.readExactly(10);
            c.sendOption(OptionType.INFO, NegotiationSupport.info("disk", 1, 2, 3)); // 16 + 16 bytes >= 28
            c.assertClosedByServer();
            assertEquals(List.of("C14"), s.ruleIdsOf(1));
        }
    }

    /** After EXPORT_NAME the transmission phase is live: a FLUSH is answered and DISC ends it cleanly. */
    @Test
    @Verifies({"S61"})
    void transmissionWorksAfterExportName() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            c.sendOption(OptionType.EXPORT_NAME, utf8("disk"));
            c.readExactly(10);
            c.request(new Request(0, CommandType.READ.value, 42, 0, 512));
            RawClient.SimpleReply r = c.readSimpleReply();
            assertEquals(0, r.error());
            assertEquals(42, r.cookie());
            assertArrayEquals(new byte[512], c.readExactly(512));
            disconnect(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /**
     * Sends an option whose payload the server may refuse to read: if it closes first, the write fails with
     * a broken pipe or reset, which is the expected outcome, not a test error.
     */
    private static void sendMayBeCutShort(RawClient c, int option, byte[] payload) {
        try {
            c.sendOption(option, payload);
        } catch (java.io.IOException closedByServer) {
            // the server hung up without reading the payload
        }
    }
}
