package dev.nbdref.fuzz;

import dev.nbdref.server.InMemoryConnection;
import dev.nbdref.server.ServerBehavior;
import dev.nbdref.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fuzz oracle itself: {@link ReactionChecker} accepts what the real server does with every seed, and rejects
 * a server that misbehaves (the fault-injecting behaviours of the validator's profiles, each of which breaks a
 * rule the checker is meant to enforce). Without this, a checker that accepts everything would pass silently.
 */
class ReactionCheckerTest {

    @Test
    void acceptsTheServerOnEverySeed() throws Exception {
        for (Map.Entry<String, byte[]> seed : SeedCorpus.clientStreams().entrySet()) {
            byte[] in = seed.getValue();
            ServerFuzzTest.exercise(FuzzServer.fromSelector(in[0] & 0xff), Arrays.copyOfRange(in, 1, in.length));
        }
        for (Map.Entry<String, byte[]> seed : SeedCorpus.transmissions().entrySet()) {
            byte[] in = seed.getValue();
            byte[] prefix = ServerFuzzTest.negotiation(in[1] & 0xff);
            byte[] client = SeedCorpus.cat(prefix, Arrays.copyOfRange(in, 2, in.length));
            ServerFuzzTest.exercise(FuzzServer.fromSelector(in[0] & 0xff), client);
        }
    }

    /** Faults a client-facing server must never show; each seed session meets at least one. */
    enum Fault {
        CLOSE_IN_OPTIONS(ServerBehavior.Fault.Kind.CLOSE_IN_OPTIONS, 1),
        CLOSE_IN_TRANSMISSION(ServerBehavior.Fault.Kind.CLOSE_IN_TRANSMISSION, 2),
        SHUTDOWN_IN_TRANSMISSION(ServerBehavior.Fault.Kind.SHUTDOWN_IN_TRANSMISSION, 2),
        READ_ERROR_CHUNK(ServerBehavior.Fault.Kind.READ_ERROR_CHUNK, 0);

        final ServerBehavior.Fault fault;

        Fault(ServerBehavior.Fault.Kind kind, int after) { this.fault = new ServerBehavior.Fault(kind, after); }
    }

    @ParameterizedTest
    @EnumSource(Fault.class)
    void rejectsAFaultyServer(Fault f) throws Exception {
        byte[] seed = SeedCorpus.clientStreams().get("structured-session");
        FuzzServer server = FuzzServer.fromSelector(seed[0]);
        byte[] client = Arrays.copyOfRange(seed, 1, seed.length);
        if (f == Fault.READ_ERROR_CHUNK) { // needs a structured read longer than one data chunk
            client = SeedCorpus.cat(Arrays.copyOf(client, client.length - 28),
                    SeedCorpus.compact(0, dev.nbdref.spec.CommandType.WRITE, 0, 8192), SeedCorpus.data(8192),
                    SeedCorpus.compact(0, dev.nbdref.spec.CommandType.READ, 0, 8192));
        }
        ServerConfig faulty = server.config();
        faulty = faulty.withBehavior(f == Fault.READ_ERROR_CHUNK
                ? new ServerBehavior(true, true, true, true, 4096, false, f.fault)
                : faulty.behavior().withFault(f.fault));
        InMemoryConnection.Outcome out = InMemoryConnection.run(faulty, client, ServerFuzzTest.CAPTURE);
        byte[] c = client;
        AssertionError e = assertThrows(AssertionError.class,
                () -> ReactionChecker.check(c, out.output(), out.outputTruncated(), server));
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
    }
}
