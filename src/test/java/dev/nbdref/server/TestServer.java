package dev.nbdref.server;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.conformance.ConnectionReport;
import dev.nbdref.conformance.Violation;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.fail;

/** An in-process server on an ephemeral loopback port that keeps every connection report for assertions. */
final class TestServer implements AutoCloseable {
    final NbdServer server;
    final List<ConnectionReport> reports = new CopyOnWriteArrayList<>();

    TestServer(List<Export> exports, UnaryOperator<ServerConfig> tweak) throws IOException {
        ServerConfig base = new ServerConfig("127.0.0.1", 0, exports, SizeConstraints.defaults(), null,
                Duration.ofSeconds(2), Duration.ofSeconds(10));
        server = NbdServer.start(tweak.apply(base), reports::add);
    }

    TestServer(List<Export> exports) throws IOException { this(exports, c -> c); }

    /** One writable 1 MiB memory export named "disk" and a read-only one named "ro". */
    static TestServer standard() throws IOException {
        return new TestServer(List.of(new Export("disk", "a test disk", new MemoryDevice(1 << 20), false),
                new Export("ro", null, new MemoryDevice(1 << 20), true)));
    }

    int port() { return server.port(); }

    RawClient connect() throws IOException { return new RawClient(port()); }

    /** The violations of the {@code n}-th connection (from 1), once it has ended. */
    List<Violation> violationsOf(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            for (ConnectionReport r : reports) if (r.connectionId().equals("c" + n)) return r.violations();
            Thread.sleep(10);
        }
        fail("connection c" + n + " did not end within 10 s");
        return List.of();
    }

    /** The rule IDs connection {@code n} was found to break, in order. */
    List<String> ruleIdsOf(int n) throws InterruptedException {
        return violationsOf(n).stream().map(Violation::requirementId).toList();
    }

    @Override
    public void close() { server.shutdown(); }
}
