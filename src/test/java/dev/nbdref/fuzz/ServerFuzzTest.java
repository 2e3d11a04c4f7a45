package dev.nbdref.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.nbdref.server.InMemoryConnection;
import dev.nbdref.spec.HandshakeFlag;
import dev.nbdref.spec.MetaContext;
import dev.nbdref.spec.OptionType;
import dev.nbdref.wire.InfoRequest;
import dev.nbdref.wire.MetaContextRequest;
import dev.nbdref.wire.OptionHeader;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Coverage-guided fuzz targets for the server's two parsers, run over {@link InMemoryConnection} (the real
 * negotiator and transmission loop, deterministic, no sockets). Each input is judged by {@link ReactionChecker}:
 * no exception but the expected ends escapes, every reaction is one the spec permits, and the bytes the
 * connection's thread allocated stay within what the input legitimately asks for (an allocation sized by an
 * unchecked length field fails here, or as an OutOfMemoryError under the campaign's small heap). {@link TimeBound}
 * bounds the time per input.
 *
 * <p>{@code mvn test} replays the saved inputs under
 * {@code src/test/resources/dev/nbdref/fuzz/ServerFuzzTestInputs/<method>/}; {@code JAZZER_FUZZ=1} fuzzes
 * (see conformance/fuzz/run-campaign.sh).
 */
class ServerFuzzTest {
    /** Server output kept for checking; beyond it bytes are counted (large reads of the 16 TiB export). */
    static final int CAPTURE = 4 << 20;

    /**
     * Byte 0 picks the server configuration ({@link FuzzServer}); the rest is everything the client sends after
     * reading the greeting: its flags, options, and (after GO or EXPORT_NAME) requests.
     */
    @FuzzTest(maxDuration = "60s")
    void clientStream(byte[] input) throws Throwable {
        if (input.length == 0) return;
        FuzzServer server = FuzzServer.fromSelector(input[0] & 0xff);
        TimeBound.run(() -> exercise(server, Arrays.copyOfRange(input, 1, input.length)));
    }

    /**
     * Transmission requests after a valid negotiation. Byte 0 picks the server configuration; byte 1 the session:
     * bits 0-1 the framing (simple, structured, extended, extended), bits 2-3 the export (disk, ro, big, disk),
     * bit 4 selects base:allocation, bit 5 also qemu:dirty-bitmap:b0, bit 6 enters with EXPORT_NAME instead of
     * GO. The rest is the raw request stream.
     */
    @FuzzTest(maxDuration = "60s")
    void transmission(byte[] input) throws Throwable {
        if (input.length < 2) return;
        FuzzServer server = FuzzServer.fromSelector(input[0] & 0xff);
        byte[] prefix = negotiation(input[1] & 0xff);
        byte[] client = new byte[prefix.length + input.length - 2];
        System.arraycopy(prefix, 0, client, 0, prefix.length);
        System.arraycopy(input, 2, client, prefix.length, input.length - 2);
        TimeBound.run(() -> exercise(server, client));
    }

    /** The client's side of a negotiation that ends in transmission, as {@link #transmission} describes it. */
    static byte[] negotiation(int session) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int framing = session & 3;
        String export = FuzzServer.NAMES.get(((session >> 2) & 3) % 3);
        boolean exportName = (session & 0x40) != 0 && framing < 2;
        b.writeBytes(new byte[] {0, 0, 0, (byte) (HandshakeFlag.FIXED_NEWSTYLE.bit | HandshakeFlag.NO_ZEROES.bit)});
        if (framing == 1) b.writeBytes(OptionHeader.encode(OptionType.STRUCTURED_REPLY.value, new byte[0]));
        if (framing >= 2) b.writeBytes(OptionHeader.encode(OptionType.EXTENDED_HEADERS.value, new byte[0]));
        List<String> contexts = new ArrayList<>();
        if ((session & 0x10) != 0) contexts.add(MetaContext.BASE_ALLOCATION);
        if ((session & 0x20) != 0) contexts.add(MetaContext.QEMU_DIRTY_BITMAP_PREFIX + FuzzServer.BITMAP);
        if (!contexts.isEmpty()) {
            b.writeBytes(OptionHeader.encode(OptionType.SET_META_CONTEXT.value,
                    new MetaContextRequest(export, contexts).encode()));
        }
        if (exportName) {
            b.writeBytes(OptionHeader.encode(OptionType.EXPORT_NAME.value, export.getBytes()));
        } else {
            b.writeBytes(OptionHeader.encode(OptionType.GO.value, new InfoRequest(export, List.of()).encode()));
        }
        return b.toByteArray();
    }

    private static boolean warm;

    /**
     * Runs a few complete sessions once, unmeasured, so class loading and (under Jazzer) instrumentation do not
     * count against the first input's allocation budget.
     */
    private static synchronized void warmUp() throws Exception {
        if (warm) return;
        warm = true;
        for (byte[] seed : SeedCorpus.clientStreams().values()) {
            InMemoryConnection.run(FuzzServer.fromSelector(seed[0] & 0xff).config(),
                    Arrays.copyOfRange(seed, 1, seed.length), CAPTURE);
        }
    }

    static void exercise(FuzzServer server, byte[] client) throws Exception {
        warmUp();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        InMemoryConnection.Outcome out = InMemoryConnection.run(server.config(), client, CAPTURE);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        long allowed = ReactionChecker.check(client, out.output(), out.outputTruncated(), server);
        if (allocated > allowed) {
            throw new AssertionError("the server allocated " + allocated + " bytes for " + client.length
                    + " client bytes, more than the " + allowed + " they justify (" + out.end() + ")");
        }
    }
}
