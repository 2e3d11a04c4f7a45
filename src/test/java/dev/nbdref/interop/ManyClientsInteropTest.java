package dev.nbdref.interop;

import static dev.nbdref.interop.TestData.MIB;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.testing.Verifies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several clients on one export at the same time. */
class ManyClientsInteropTest {

    private static final int CLIENTS = 8;

    @TempDir
    Path dir;

    /**
     * Eight qemu-io processes at once, each writing its own pattern over its own 4 MiB of one memory export
     * and flushing. All succeed, and one nbdcopy afterwards reads every range with its writer's pattern.
     */
    @Test
    @Verifies({"S52", "S55"})
    void concurrentWritersOnDisjointRanges() throws Exception {
        Path copy = dir.resolve("copy.raw");
        try (NbdrefProcess server = NbdrefProcess.start("--export", "disk=memory:32M")) {
            String uri = server.uri("disk");
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            try {
                List<Future<PeerResult>> writers = new ArrayList<>();
                for (int i = 0; i < CLIENTS; i++) {
                    String write = String.format("write -P 0x%02x %dM 4M", pattern(i), i * 4);
                    writers.add(pool.submit(() -> PeerCommand.of("qemu-io", "-f", "raw", "-c", write, "-c", "flush",
                            uri).run()));
                }
                for (Future<PeerResult> writer : writers) {
                    writer.get().assertSuccess(server);
                }
            } finally {
                pool.shutdownNow();
            }
            PeerCommand.of("nbdcopy", uri, copy).run().assertSuccess(server);
        }
        for (int i = 0; i < CLIENTS; i++) {
            TestData.assertFilled(copy, i * 4L * MIB, 4 * MIB, pattern(i), "range of writer " + i);
        }
    }

    /**
     * With CAN_MULTI_CONN, what one connection flushed (or wrote with FUA) is visible to a read on another
     * connection that was open all along, as soon as the FLUSH (or FUA write) was answered.
     */
    @Test
    @Verifies({"S53", "S59"})
    void flushedWritesAreVisibleOnOtherConnections() throws IOException {
        Path script = dir.resolve("multi_conn.py");
        Files.writeString(script, MULTI_CONN_SCRIPT);
        try (NbdrefProcess server = NbdrefProcess.start("--export", "disk=memory:8M")) {
            PeerResult result = PeerCommand.python(script, server.uri("disk")).run().assertSuccess(server);
            assertTrue(result.stdout().contains("multi_conn=True True"), result.describe());
            assertTrue(result.stdout().contains("after_flush=same"), result.describe());
            assertTrue(result.stdout().contains("after_fua=same"), result.describe());
        }
    }

    private static int pattern(int client) {
        return 0x10 + client;
    }

    private static final String MULTI_CONN_SCRIPT = """
            import sys
            import nbd

            uri = sys.argv[1]
            writer, reader = nbd.NBD(), nbd.NBD()
            writer.connect_uri(uri)
            reader.connect_uri(uri)
            print("multi_conn=%s %s" % (writer.can_multi_conn(), reader.can_multi_conn()))

            first = bytes([0xa1]) * 65536
            writer.pwrite(first, 0)
            writer.flush()
            print("after_flush=%s" % ("same" if reader.pread(65536, 0) == first else "differs"))

            second = bytes([0xb2]) * 65536
            writer.pwrite(second, 1048576, nbd.CMD_FLAG_FUA)
            print("after_fua=%s" % ("same" if reader.pread(65536, 1048576) == second else "differs"))

            writer.shutdown()
            reader.shutdown()
            """;
}
