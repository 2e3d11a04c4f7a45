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

import static org.junit.jupiter.api.Assertions.assertEquals;

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
