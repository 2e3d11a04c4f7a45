package dev.nbdref.fuzz;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.server.Export;
import dev.nbdref.server.InMemoryConnection;
import dev.nbdref.server.ServerConfig;
import dev.nbdref.spec.Magic;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the fuzzers found, as plain regression tests at the level a user meets them (the raw inputs that found
 * them are kept in the targets' inputs directories too).
 */
class FuzzFindingsTest {

    /**
     * Found by WireFuzzTest#decoders (MessageSummary.reply, NBD_REP_SERVER): the transcript summary cuts the
     * decoded name with a byte count, so an export whose name has a multi-byte UTF-8 character makes NBD_OPT_LIST
     * throw inside the negotiator; the connection is dropped as an internal error, with no reply at all.
     */
    @Test
    void listNamesAnExportWithANonAsciiName() throws Exception {
        ServerConfig config = ServerConfig.of("127.0.0.1", 0, List.of(new Export("é", null, new MemoryDevice(4096), false)));
        byte[] client = SeedCorpus.cat(SeedCorpus.flags(3), SeedCorpus.opt(OptionType.LIST, new byte[0]),
                SeedCorpus.opt(OptionType.ABORT, new byte[0]));
        InMemoryConnection.Outcome out = InMemoryConnection.run(config, client, 1 << 20);
        ByteBuffer b = ByteBuffer.wrap(out.output());
        b.position(18); // the greeting
        assertEquals(OptionReplyType.SERVER.value, replyType(b, OptionType.LIST), "LIST answers with the export");
        assertEquals(OptionReplyType.ACK.value, replyType(b, OptionType.LIST), "then ACK");
        assertEquals(OptionReplyType.ACK.value, replyType(b, OptionType.ABORT), "ABORT is acknowledged");
    }

    /**
     * Found by ServerFuzzTest#transmission (the allocation bound; input crash-no-hole-write-zeroes-allocates-per-page):
     * WRITE_ZEROES with NO_HOLE on a memory export creates a page object for every 64 KiB of the range, so one
     * 32-byte request over a large sparse export allocates memory in proportion to its virtual size (about 80 bytes
     * per 64 KiB: 1.3 GB for 1 TiB); against the jar with a 2 GiB heap and memory:4T the server ran out of memory
     * and never answered. Zeroing must cost memory in proportion to the request, not to its length.
     */
    @Test
    void keepingAZeroedRangeAllocatedCostsNoMemoryPerPage() throws Exception {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        MemoryDevice device = new MemoryDevice(64L << 30);
        long before = threads.getCurrentThreadAllocatedBytes();
        device.writeZeroes(0, device.size(), false, false, false);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 8 << 20, "WRITE_ZEROES(NO_HOLE) of 64 GiB allocated " + allocated / (1 << 20) + " MiB");
        ByteBuffer b = ByteBuffer.allocate(4096);
        device.read((32L << 30) + 5, b);
        assertArrayEquals(new byte[4096], b.array(), "the zeroed range reads as zeroes");
    }

    private static int replyType(ByteBuffer b, OptionType option) {
        assertEquals(Magic.OPTION_REPLY, b.getLong(), "option reply magic");
        assertEquals(option.value, b.getInt(), "option echoed");
        int type = b.getInt();
        byte[] payload = new byte[b.getInt()];
        b.get(payload);
        if (type == OptionReplyType.SERVER.value) {
            ByteBuffer p = ByteBuffer.wrap(payload);
            byte[] name = new byte[p.getInt()];
            p.get(name);
            assertEquals("é", new String(name, StandardCharsets.UTF_8));
        }
        return type;
    }
}
