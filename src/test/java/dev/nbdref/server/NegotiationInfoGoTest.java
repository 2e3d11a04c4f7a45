package dev.nbdref.server;

import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.testing.Verifies;
import dev.nbdref.wire.OptionReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

import static dev.nbdref.server.NegotiationSupport.DISK_FLAGS;
import static dev.nbdref.server.NegotiationSupport.DISK_SIZE;
import static dev.nbdref.server.NegotiationSupport.INFO_BLOCK_SIZE;
import static dev.nbdref.server.NegotiationSupport.INFO_DESCRIPTION;
import static dev.nbdref.server.NegotiationSupport.INFO_EXPORT;
import static dev.nbdref.server.NegotiationSupport.INFO_NAME;
import static dev.nbdref.server.NegotiationSupport.RO_FLAGS;
import static dev.nbdref.server.NegotiationSupport.SEND_DF;
import static dev.nbdref.server.NegotiationSupport.abort;
import static dev.nbdref.server.NegotiationSupport.assertFlushAnsweredImmediately;
import static dev.nbdref.server.NegotiationSupport.assertInfoBlockSize;
import static dev.nbdref.server.NegotiationSupport.assertInfoExport;
import static dev.nbdref.server.NegotiationSupport.assertInfoString;
import static dev.nbdref.server.NegotiationSupport.assertListWorks;
import static dev.nbdref.server.NegotiationSupport.assertOnly;
import static dev.nbdref.server.NegotiationSupport.bytes;
import static dev.nbdref.server.NegotiationSupport.cat;
import static dev.nbdref.server.NegotiationSupport.disconnect;
import static dev.nbdref.server.NegotiationSupport.info;
import static dev.nbdref.server.NegotiationSupport.infosBeforeAck;
import static dev.nbdref.server.NegotiationSupport.ofType;
import static dev.nbdref.server.NegotiationSupport.types;
import static dev.nbdref.server.NegotiationSupport.u16;
import static dev.nbdref.server.NegotiationSupport.u32;
import static dev.nbdref.server.NegotiationSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * NBD_OPT_INFO and NBD_OPT_GO (spec "NBD_OPT_INFO and NBD_OPT_GO", "NBD_REP_INFO", "Transmission flags"):
 * which information is sent, its exact layout, malformed requests, and the clean switch to transmission.
 */
class NegotiationInfoGoTest {
    enum Opt { INFO, GO }

    private static OptionType type(Opt o) { return o == Opt.INFO ? OptionType.INFO : OptionType.GO; }

    /** With zero info requests, a successful INFO/GO still sends NBD_INFO_EXPORT (12 bytes), and only it. */
    @ParameterizedTest
    @EnumSource(Opt.class)
    @Verifies({"S12", "S14", "S06"})
    void infoExportIsSentEvenWithoutRequests(Opt o) throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            List<byte[]> infos = infosBeforeAck(c.option(type(o), info("disk")), type(o));
            assertEquals(List.of(INFO_EXPORT), types(infos), "only NBD_INFO_EXPORT was volunteered");
            assertInfoExport(infos, DISK_SIZE, DISK_FLAGS);
            if (o == Opt.GO) disconnect(c); else abort(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /** NAME and DESCRIPTION are sent when requested, with their exact text; EXPORT comes along unrequested. */
    @Test
    @Verifies({"S12", "S73"})
    void nameAndDescriptionAreSentWhenRequested() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            List<byte[]> infos = infosBeforeAck(c.option(OptionType.INFO, info("disk", INFO_NAME, INFO_DESCRIPTION)),
                    OptionType.INFO);
            assertEquals(3, infos.size());
            assertInfoExport(infos, DISK_SIZE, DISK_FLAGS);
            assertInfoString(infos, INFO_NAME, "disk");
            assertInfoString(infos, INFO_DESCRIPTION, "a test disk");
            // only NAME: no DESCRIPTION
            infos = infosBeforeAck(c.option(OptionType.INFO, info("disk", INFO_NAME)), OptionType.INFO);
            assertEquals(List.of(), ofType(infos, INFO_DESCRIPTION));
            assertInfoString(infos, INFO_NAME, "disk");
            abort(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /** NBD_INFO_BLOCK_SIZE, when requested, is 14 bytes with the defaults: min 1, preferred 4096, max 32 MiB. */
    @ParameterizedTest
    @EnumSource(Opt.class)
    @Verifies({"S15", "S16", "S79"})
    void blockSizeIsSentWhenRequestedWithTheDefaults(Opt o) throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            List<byte[]> infos = infosBeforeAck(c.option(type(o), info("disk", INFO_BLOCK_SIZE)), type(o));
            assertEquals(2, infos.size());
            assertInfoExport(infos, DISK_SIZE, DISK_FLAGS);
            assertInfoBlockSize(infos, 1, 4096, 33554432);
            if (o == Opt.GO) disconnect(c); else abort(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /** Info types the server does not know (4, 0x7777, 0xFFFF) are ignored without error. */
    @Test
    @Verifies({"S13", "S14"})
    void unknownInfoRequestsAreIgnored() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            List<byte[]> infos = infosBeforeAck(c.option(OptionType.INFO, info("disk", 4, 0x7777, 0xFFFF, INFO_NAME)),
                    OptionType.INFO);
            assertEquals(2, infos.size());
            assertInfoExport(infos, DISK_SIZE, DISK_FLAGS);
            assertInfoString(infos, INFO_NAME, "disk");
            abort(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /**
     * An info type listed twice breaks the client MUST C08; this server refuses the option with ERR_INVALID (the
     * spec lets it refuse a semantically invalid option) and stays in sync; a GO afterwards works.
     */
    @ParameterizedTest
    @EnumSource(Opt.class)
    @Verifies({"C08", "S11"})
    void duplicateInfoRequestIsRefusedAndRecordsC08(Opt o) throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            assertOnly(c.option(type(o), info("disk", INFO_NAME, INFO_BLOCK_SIZE, INFO_NAME)), type(o),
                    OptionReplyType.ERR_INVALID);
            assertListWorks(c);
            infosBeforeAck(c.go("disk"), OptionType.GO);
            disconnect(c);
            assertEquals(List.of("C08"), s.ruleIdsOf(1));
        }
    }

    /** GO right after a successful INFO with the same parameters returns the same set of information. */
    @Test
    @Verifies({"S18", "S17"})
    void goAfterInfoWithSameParametersReturnsTheSameInformation() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            c.structuredReplies();
            byte[] request = info("disk", INFO_DESCRIPTION, INFO_BLOCK_SIZE, INFO_NAME, 0x4242);
            List<byte[]> fromInfo = infosBeforeAck(c.option(OptionType.INFO, request), OptionType.INFO);
            List<byte[]> fromGo = infosBeforeAck(c.option(OptionType.GO, request), OptionType.GO);
            assertEquals(sortedHex(fromInfo), sortedHex(fromGo));
            assertEquals(4, fromGo.size());
            assertInfoExport(fromGo, DISK_SIZE, DISK_FLAGS | SEND_DF);
            assertFlushAnsweredImmediately(c, true);
            disconnect(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /** An unknown export gets ERR_UNKNOWN with no REP_INFO before it, and negotiation continues. */
    @ParameterizedTest
    @EnumSource(Opt.class)
    @Verifies({"S19", "S09"})
    void unknownExportGetsErrUnknownWithoutInfo(Opt o) throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            assertOnly(c.option(type(o), info("nope", INFO_NAME, INFO_BLOCK_SIZE)), type(o),
                    OptionReplyType.ERR_UNKNOWN);
            assertOnly(c.option(type(o), info("Disk")), type(o), OptionReplyType.ERR_UNKNOWN);
            assertListWorks(c);
            List<byte[]> infos = infosBeforeAck(c.go("disk"), OptionType.GO);
            assertInfoExport(infos, DISK_SIZE, DISK_FLAGS);
            disconnect(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /** The empty name selects the default export: here the first one, whose canonical name is "disk". */
    @ParameterizedTest
    @EnumSource(Opt.class)
    @Verifies({"S12", "S73"})
    void emptyNameSelectsTheDefaultExport(Opt o) throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            List<byte[]> infos = infosBeforeAck(c.option(type(o), info("", INFO_NAME)), type(o));
            assertInfoExport(infos, DISK_SIZE, DISK_FLAGS);
            assertInfoString(infos, INFO_NAME, "disk");
            if (o == Opt.GO) disconnect(c); else abort(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /**
     * Malformed INFO/GO payloads are answered with ERR_INVALID, the violation is recorded, and the option
     * length is authoritative: the next option is parsed correctly.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"namelen>optlen-6", "namelen=optlen-5", "count-too-big", "count-too-small",
            "trailing-byte", "shorter-than-6", "empty", "huge-namelen", "name-with-nul", "invalid-utf8",
            "overlong-utf8", "name-4097"})
    @Verifies({"S11", "C07", "C09", "S09"})
    void malformedInfoPayloadIsInvalidAndTheStreamStaysInSync(String kind) throws Exception {
        byte[] payload;
        String rule;
        switch (kind) {
            case "namelen>optlen-6" -> { payload = cat(u32(100), utf8("disk"), u16(0)); rule = "C07"; }
            case "namelen=optlen-5" -> { payload = cat(u32(5), utf8("disk"), u16(0)); rule = "C07"; }
            case "count-too-big" -> { payload = cat(u32(4), utf8("disk"), u16(2), u16(1)); rule = "C07"; }
            case "count-too-small" -> { payload = cat(u32(4), utf8("disk"), u16(1), u16(1), u16(2)); rule = "C07"; }
            case "trailing-byte" -> { payload = cat(u32(4), utf8("disk"), u16(0), new byte[] {0}); rule = "C07"; }
            case "shorter-than-6" -> { payload = new byte[] {0, 0, 0, 0, 0}; rule = "C07"; }
            case "empty" -> { payload = new byte[0]; rule = "C07"; }
            case "huge-namelen" -> { payload = cat(u32(0xFFFFFFFFL), utf8("disk"), u16(0)); rule = "C07"; }
            case "name-with-nul" -> { payload = info(new byte[] {'d', 'i', 0, 'k'}); rule = "C09"; }
            case "invalid-utf8" -> { payload = info(new byte[] {'d', (byte) 0xFF, 'k'}); rule = "C09"; }
            case "overlong-utf8" -> { payload = info(new byte[] {(byte) 0xC0, (byte) 0xAF}); rule = "C09"; }
            default -> { payload = info(bytes(4097, (byte) 'a')); rule = "C09"; }
        }
        for (Opt o : Opt.values()) {
            try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
                c.handshake();
                assertOnly(c.option(type(o), payload), type(o), OptionReplyType.ERR_INVALID);
                assertListWorks(c);
                // and GO still works: a failed GO did not enter transmission
                infosBeforeAck(c.go("disk"), OptionType.GO);
                assertFlushAnsweredImmediately(c, false);
                disconnect(c);
                assertEquals(List.of(rule), s.ruleIdsOf(1), o + " " + kind);
            }
        }
    }

    /** A 4096-byte name is a valid string (the limit is inclusive): no such export, so ERR_UNKNOWN, no violation. */
    @ParameterizedTest
    @EnumSource(Opt.class)
    @Verifies({"S19", "C09"})
    void name4096BytesIsAValidStringButUnknown(Opt o) throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            assertOnly(c.option(type(o), info(bytes(4096, (byte) 'a'), INFO_NAME)), type(o),
                    OptionReplyType.ERR_UNKNOWN);
            assertListWorks(c);
            abort(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /**
     * Nothing follows GO's ACK (no padding), with or without NO_ZEROES: the next bytes are the reply to the
     * first request.
     */
    @ParameterizedTest(name = "client flags 0x{0}")
    @ValueSource(ints = {0x1, 0x3})
    @Verifies({"S17"})
    void nothingFollowsTheGoAck(int clientFlags) throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake(clientFlags);
            List<OptionReply> r = c.go("disk", INFO_NAME, INFO_DESCRIPTION, INFO_BLOCK_SIZE);
            assertEquals(OptionReplyType.ACK, r.get(r.size() - 1).replyType());
            assertFlushAnsweredImmediately(c, false);
            assertFlushAnsweredImmediately(c, false);
            disconnect(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /** Same check with structured replies: the first bytes after the ACK are FLUSH's NONE chunk. */
    @Test
    @Verifies({"S17", "S42"})
    void nothingFollowsTheGoAckWithStructuredReplies() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            c.structuredReplies();
            c.go("ro");
            assertFlushAnsweredImmediately(c, true);
            disconnect(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /**
     * Transmission flags: the writable export advertises exactly HAS_FLAGS, SEND_FLUSH, SEND_FUA, SEND_TRIM,
     * SEND_WRITE_ZEROES, SEND_CACHE, SEND_FAST_ZERO and CAN_MULTI_CONN; the read-only one READ_ONLY and none of
     * TRIM, WRITE_ZEROES, FAST_ZERO. SEND_DF only once structured replies are negotiated.
     */
    @Test
    @Verifies({"S62"})
    void transmissionFlagsMatchTheExportAndTheNegotiatedState() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            int disk = assertInfoExport(infosBeforeAck(c.option(OptionType.INFO, info("disk")), OptionType.INFO),
                    DISK_SIZE, DISK_FLAGS);
            int ro = assertInfoExport(infosBeforeAck(c.option(OptionType.INFO, info("ro")), OptionType.INFO),
                    DISK_SIZE, RO_FLAGS);
            for (int flags : new int[] {disk, ro}) {
                assertTrue((flags & 0x1) != 0, "HAS_FLAGS");
                assertEquals(0, flags & SEND_DF, "no SEND_DF without structured replies");
                if ((flags & 0x40) == 0) assertEquals(0, flags & 0x800, "no FAST_ZERO without WRITE_ZEROES");
            }
            assertEquals(0, ro & (0x20 | 0x40 | 0x800), "read-only: no TRIM, WRITE_ZEROES, FAST_ZERO");
            c.structuredReplies();
            assertInfoExport(infosBeforeAck(c.option(OptionType.INFO, info("disk")), OptionType.INFO),
                    DISK_SIZE, DISK_FLAGS | SEND_DF);
            assertInfoExport(infosBeforeAck(c.option(OptionType.INFO, info("ro")), OptionType.INFO),
                    DISK_SIZE, RO_FLAGS | SEND_DF);
            abort(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /** GO on the read-only export enters transmission with the read-only flags, and a DISC ends it. */
    @Test
    @Verifies({"S62", "S12"})
    void goOnReadOnlyExport() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            List<byte[]> infos = infosBeforeAck(c.go("ro", INFO_DESCRIPTION), OptionType.GO);
            assertInfoExport(infos, DISK_SIZE, RO_FLAGS);
            assertEquals(List.of(), ofType(infos, INFO_DESCRIPTION), "\"ro\" has no description to send");
            assertFlushAnsweredImmediately(c, false);
            disconnect(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /**
     * Error replies carry a message, which is a string: valid UTF-8 of at most 4096 bytes. An unknown export
     * whose (valid, 4095-byte) name is made of 3-byte characters must not produce a message cut in the
     * middle of a character.
     */
    @ParameterizedTest
    @EnumSource(Opt.class)
    @Verifies({"S19", "S06"})
    void errorMessageForALongMultibyteNameIsValidUtf8(Opt o) throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            byte[] name = utf8("\u20ac".repeat(1365)); // 4095 bytes
            assertOnly(c.option(type(o), info(name)), type(o), OptionReplyType.ERR_UNKNOWN);
            abort(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /** Once GO is acknowledged, an option is read as a request with a wrong magic: C14 and a hard disconnect. */
    @Test
    @Verifies({"C14"})
    void optionAfterGoIsAProtocolError() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            c.go("disk");
            c.sendOption(OptionType.INFO, info("disk", 1, 2, 3));
            c.assertClosedByServer();
            assertEquals(List.of("C14"), s.ruleIdsOf(1));
        }
    }

    /**
     * Unknown info requests are ignored however many there are: 65535 distinct types (the u16 maximum, which
     * wraps to include 0..3) are answered promptly, not after seconds of work per option (a client may send
     * thousands of such options).
     */
    @Test
    @Verifies({"S13", "S09"})
    void maximalInfoRequestListIsAnsweredPromptly() throws Exception {
        int[] types = new int[65535];
        for (int i = 0; i < types.length; i++) types[i] = (i + 100) & 0xFFFF;
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            // a linear server answers in milliseconds; the bound fails fast instead of waiting for a slow one
            List<byte[]> infos = assertTimeoutPreemptively(Duration.ofSeconds(2),
                    () -> infosBeforeAck(c.option(OptionType.INFO, info("disk", types)), OptionType.INFO),
                    "INFO with 65535 info requests was not answered within 2 s");
            assertEquals(4, infos.size(), "EXPORT, NAME, DESCRIPTION, BLOCK_SIZE");
            abort(c);
        }
    }

    private static List<String> sortedHex(List<byte[]> infos) {
        List<String> out = new ArrayList<>();
        for (byte[] i : infos) out.add(HexFormat.of().formatHex(i));
        out.sort(Comparator.naturalOrder());
        return out;
    }
}
