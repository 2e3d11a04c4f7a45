package dev.nbdref.server;

import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.testing.Verifies;
import dev.nbdref.wire.OptionReply;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.nbdref.server.NegotiationSupport.DISK_FLAGS;
import static dev.nbdref.server.NegotiationSupport.DISK_SIZE;
import static dev.nbdref.server.NegotiationSupport.INFO_BLOCK_SIZE;
import static dev.nbdref.server.NegotiationSupport.INFO_NAME;
import static dev.nbdref.server.NegotiationSupport.assertInfoBlockSize;
import static dev.nbdref.server.NegotiationSupport.assertInfoExport;
import static dev.nbdref.server.NegotiationSupport.disconnect;
import static dev.nbdref.server.NegotiationSupport.info;
import static dev.nbdref.server.NegotiationSupport.infosBeforeAck;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Size constraints during negotiation (spec "Size constraints", NBD_INFO_BLOCK_SIZE,
 * NBD_REP_ERR_BLOCK_SIZE_REQD) with a non-default minimum block of 4096.
 */
class NegotiationBlockSizeTest {

    private static TestServer minBlock4096() throws Exception {
        return new TestServer(exports(), c -> c.withSizes(SizeConstraints.withMinimum(4096)));
    }

    private static List<Export> exports() {
        return List.of(new Export("disk", "a test disk", new dev.nbdref.block.MemoryDevice(1 << 20), false),
                new Export("ro", null, new dev.nbdref.block.MemoryDevice(1 << 20), true));
    }

    /**
     * With non-default constraints the server volunteers NBD_INFO_BLOCK_SIZE (min 4096, preferred 4096,
     * max 32 MiB) even when not asked, for INFO and for GO, and still admits the GO.
     */
    @Test
    @Verifies({"S78", "S15", "S14", "S77"})
    void blockSizeIsVolunteeredWhenConstraintsAreNotDefault() throws Exception {
        try (TestServer s = minBlock4096(); RawClient c = s.connect()) {
            c.handshake();
            List<byte[]> infos = infosBeforeAck(c.option(OptionType.INFO, info("disk", INFO_NAME)), OptionType.INFO);
            assertInfoExport(infos, DISK_SIZE, DISK_FLAGS);
            assertInfoBlockSize(infos, 4096, 4096, 33554432);
            infos = infosBeforeAck(c.option(OptionType.GO, info("disk")), OptionType.GO);
            assertInfoBlockSize(infos, 4096, 4096, 33554432);
            NegotiationSupport.assertFlushAnsweredImmediately(c, false);
            disconnect(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /** INFO and GO that request BLOCK_SIZE never get ERR_BLOCK_SIZE_REQD: they get the constraints and ACK. */
    @Test
    @Verifies({"S16", "S15"})
    void requestedBlockSizeNeverGetsBlockSizeReqd() throws Exception {
        try (TestServer s = minBlock4096(); RawClient c = s.connect()) {
            c.handshake();
            for (OptionType o : new OptionType[] {OptionType.INFO, OptionType.GO}) {
                List<OptionReply> r = c.option(o, info("ro", INFO_BLOCK_SIZE));
                for (OptionReply x : r) {
                    assertEquals(false, x.replyType() == OptionReplyType.ERR_BLOCK_SIZE_REQD, "S16");
                }
                List<byte[]> infos = infosBeforeAck(r, o);
                assertEquals(2, infos.size());
                assertInfoBlockSize(infos, 4096, 4096, 33554432);
            }
            disconnect(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }

    /**
     * A client that asked for BLOCK_SIZE in GO is bound by it: an unaligned request gets EINVAL and is
     * recorded as C27; without the request in GO the same request gets EINVAL without blame.
     */
    @Test
    @Verifies({"C27", "S80"})
    void blockSizeInGoCommitsTheClient() throws Exception {
        try (TestServer s = minBlock4096()) {
            try (RawClient c = s.connect()) {
                c.handshake();
                c.go("disk", INFO_BLOCK_SIZE);
                c.request(new Request(0, CommandType.READ.value, 1, 512, 512));
                RawClient.SimpleReply r = c.readSimpleReply();
                assertEquals(22, r.error());
                disconnect(c);
            }
            assertEquals(List.of("C27"), s.ruleIdsOf(1));
            try (RawClient c = s.connect()) {
                c.handshake();
                // INFO with BLOCK_SIZE commits to nothing; the GO without it is what counts
                infosBeforeAck(c.option(OptionType.INFO, info("disk", INFO_BLOCK_SIZE)), OptionType.INFO);
                c.go("disk");
                c.request(new Request(0, CommandType.READ.value, 2, 512, 512));
                assertEquals(22, c.readSimpleReply().error());
                disconnect(c);
            }
            assertEquals(List.of(), s.ruleIdsOf(2));
        }
    }

    /** With the default constraints, BLOCK_SIZE is not volunteered (nothing to advertise). */
    @Test
    @Verifies({"S79", "S14"})
    void defaultConstraintsAreNotVolunteered() throws Exception {
        try (TestServer s = TestServer.standard(); RawClient c = s.connect()) {
            c.handshake();
            List<byte[]> infos = infosBeforeAck(c.option(OptionType.GO, info("disk")), OptionType.GO);
            assertEquals(1, infos.size());
            disconnect(c);
            assertEquals(List.of(), s.ruleIdsOf(1));
        }
    }
}
