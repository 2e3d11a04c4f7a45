package dev.nbdref.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nbdref.spec.Magic;
import dev.nbdref.spec.RequirementCatalog;
import dev.nbdref.wire.BlockStatusPayload;
import dev.nbdref.wire.Greeting;
import dev.nbdref.wire.InfoRequest;
import dev.nbdref.wire.MessageSummary;
import dev.nbdref.wire.MetaContextRequest;
import dev.nbdref.wire.OptionHeader;
import dev.nbdref.wire.OptionReply;
import dev.nbdref.wire.Request;
import dev.nbdref.wire.WireFormatException;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * The wire decoders on arbitrary bytes: each either decodes to a message whose encoding is the input again,
 * byte for byte, or rejects it with a {@link WireFormatException} naming a rule the catalog knows. Nothing else
 * may escape. {@link MessageSummary}, documented never to throw, summarises the same bytes as an option and as
 * an option reply of every type.
 */
class WireFuzzTest {
    private static final RequirementCatalog CATALOG = RequirementCatalog.standard();

    @FuzzTest(maxDuration = "60s")
    void decoders(byte[] input) throws Throwable {
        TimeBound.run(() -> decode(input));
    }

    private static void decode(byte[] input) {
        WireRoundTrips.checkBytes(input);
        // The summaries, used for transcripts, must cope with anything.
        int selector = input.length > 0 ? input[0] & 0xff : 0;
        byte[] rest = input.length > 0 ? Arrays.copyOfRange(input, 1, input.length) : input;
        assertNotNull(MessageSummary.option(1 + selector % 12, rest));
        assertNotNull(MessageSummary.reply(new OptionReply(7, replyType(selector), rest)));
    }

    private static int replyType(int selector) {
        int[] types = {1, 2, 3, 4, 0x80000001, 0x80000003, 0x80000006, 0x8000000A, 5, 0x7fffffff};
        return types[selector % types.length];
    }

    /** Shared with the property tests: the decode-or-reject law on one byte string. */
    static final class WireRoundTrips {
        private WireRoundTrips() {}

        static void checkBytes(byte[] input) {
            try {
                assertArrayEquals(input, InfoRequest.decode(input).encode(), "InfoRequest round trip");
            } catch (WireFormatException e) {
                known(e);
            }
            try {
                assertArrayEquals(input, MetaContextRequest.decode(input).encode(), "MetaContextRequest round trip");
            } catch (WireFormatException e) {
                known(e);
            }
            try {
                assertArrayEquals(input, BlockStatusPayload.decode(ByteBuffer.wrap(input)).encode(), "BlockStatusPayload round trip");
            } catch (WireFormatException e) {
                known(e);
            }
            try {
                assertArrayEquals(input, Greeting.decode(input).encode(), "Greeting round trip");
            } catch (WireFormatException e) {
                known(e);
            }
            if (input.length >= OptionHeader.SIZE) {
                byte[] h = Arrays.copyOf(input, OptionHeader.SIZE);
                OptionHeader d = OptionHeader.decode(h);
                byte[] again = ByteBuffer.allocate(16).putLong(d.magic()).putInt(d.option()).putInt((int) d.length()).array();
                assertArrayEquals(h, again, "OptionHeader fields");
                assertEquals(d.magic() == Magic.IHAVEOPT, d.hasValidMagic());
                if (d.hasValidMagic() && d.length() == input.length - 16) {
                    byte[] payload = Arrays.copyOfRange(input, 16, input.length);
                    assertArrayEquals(input, OptionHeader.encode(d.option(), payload), "OptionHeader round trip");
                }
            }
            if (input.length >= Request.COMPACT_SIZE) {
                byte[] h = Arrays.copyOf(input, Request.COMPACT_SIZE);
                byte[] again = Request.decodeCompact(h).encodeCompact();
                if (ByteBuffer.wrap(h).getInt() == Magic.REQUEST) assertArrayEquals(h, again, "compact request round trip");
                else assertArrayEquals(Arrays.copyOfRange(h, 4, 28), Arrays.copyOfRange(again, 4, 28), "compact fields");
            }
            if (input.length >= Request.EXTENDED_SIZE) {
                byte[] h = Arrays.copyOf(input, Request.EXTENDED_SIZE);
                byte[] again = Request.decodeExtended(h).encodeExtended();
                if (ByteBuffer.wrap(h).getInt() == Magic.EXTENDED_REQUEST) assertArrayEquals(h, again, "extended request round trip");
                else assertArrayEquals(Arrays.copyOfRange(h, 4, 32), Arrays.copyOfRange(again, 4, 32), "extended fields");
            }
            if (input.length >= OptionReply.HEADER_SIZE) {
                try {
                    OptionReply.Header r = OptionReply.decodeHeader(input);
                    byte[] again = ByteBuffer.allocate(20).putLong(Magic.OPTION_REPLY).putInt(r.option()).putInt(r.type())
                            .putInt((int) r.length()).array();
                    assertArrayEquals(Arrays.copyOf(input, 20), again, "option reply header round trip");
                } catch (WireFormatException e) {
                    known(e);
                }
            }
        }

        private static void known(WireFormatException e) {
            assertNotNull(CATALOG.require(e.requirementId()), "rule " + e.requirementId());
        }
    }
}
