package dev.nbdref.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.testing.Verifies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reference kernel client's user-space half (nbd-client 3.24) against nbdref. Without an nbd kernel
 * module only its negotiation can run: {@code -l} lists exports, and {@code -N} negotiates completely,
 * prints "size = NMB" (the export size in whole MiB) and then fails at the netlink step.
 */
class NbdClientInteropTest {

    /** nbd-client -l (NBD_OPT_LIST) exits 0 and prints every export name, one per line. */
    @Test
    @Verifies({"S01", "S06"})
    void listShowsExportNames() {
        try (NbdrefProcess server = NbdrefProcess.start("--export", "alpha=memory:64M",
                "--export", "beta=memory:100M,description=Second disk")) {
            PeerResult list = PeerCommand.of("nbd-client", "-l", "127.0.0.1", server.port()).run().assertSuccess(server);
            List<String> names = Arrays.stream(list.stdout().split("\n"))
                    .map(line -> line.split(":", 2)[0].trim())
                    .toList();
            assertTrue(names.contains("alpha"), list.describe());
            assertTrue(names.contains("beta"), list.describe());
        }
    }

    /**
     * nbd-client -N NAME negotiates the export (GO, falling back to EXPORT_NAME) and prints its size
     * ("size = 100MB" for a 100 MiB export) before it fails for want of the kernel module; exit status
     * is not checked.
     */
    @Test
    @Verifies({"S01", "S12", "S17"})
    void negotiationReportsTheExportSize() {
        try (NbdrefProcess server = NbdrefProcess.start("--export", "alpha=memory:64M",
                "--export", "beta=memory:100M")) {
            PeerResult alpha = connect(server, "alpha");
            assertTrue(alpha.stdout().contains("size = 64MB"), alpha.describe() + "\n" + server.logReport());
            PeerResult beta = connect(server, "beta");
            assertTrue(beta.stdout().contains("size = 100MB"), beta.describe() + "\n" + server.logReport());
            assertEquals(false, alpha.timedOut(), alpha.describe());
        }
    }

    private static PeerResult connect(NbdrefProcess server, String name) {
        PeerResult result = PeerCommand.of("nbd-client", "-N", name, "127.0.0.1", server.port(), "/dev/nbd0")
                .timeout(Duration.ofSeconds(30)).run();
        if (Files.isDirectory(Path.of("/sys/module/nbd"))) {
            // With a real nbd module the device is now attached to our server: detach it again.
            PeerCommand.of("nbd-client", "-d", "/dev/nbd0").timeout(Duration.ofSeconds(30)).run();
        }
        return result;
    }
}
