package dev.nbdref.server;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.conformance.ConnectionReport;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A shutdown that starts while a connection is ending must still report that connection: the container matrix
 * once judged a cell on a report that missed its only connection, because the server forgot the connection
 * before writing its report and so found nothing left to wait for.
 */
class ShutdownReportTest {

    @Test
    void shutdownWaitsForTheLastReport() throws Exception {
        List<ConnectionReport> reports = new CopyOnWriteArrayList<>();
        ServerConfig config = new ServerConfig("127.0.0.1", 0,
                List.of(new Export("disk", null, new MemoryDevice(1 << 20), false)), SizeConstraints.defaults(),
                null, Duration.ofSeconds(5), Duration.ofSeconds(10));
        NbdServer server = NbdServer.start(config, report -> {
            sleep(500); // a slow report writer (a large JSON file on a busy disk)
            reports.add(report);
        });
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            new DataInputStream(s.getInputStream()).readFully(new byte[18]); // the greeting, then hang up
        }
        sleep(100); // the server sees the hang-up and starts reporting
        server.shutdown();
        assertEquals(1, reports.size(), "connections reported when shutdown returned");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
