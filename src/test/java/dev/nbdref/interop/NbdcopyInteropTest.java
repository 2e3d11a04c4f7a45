package dev.nbdref.interop;

import static dev.nbdref.interop.TestData.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.nbdref.testing.Verifies;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * nbdcopy (libnbd, several connections and many requests in flight) copies 256 MiB into nbdref and back
 * without changing a byte.
 */
class NbdcopyInteropTest {

    private static final long SIZE = 256L * MIB;

    @TempDir
    static Path shared;

    private static Path source;
    private static String sourceSha;

    @TempDir
    Path dir;

    @BeforeAll
    static void makeSource() throws IOException {
        source = shared.resolve("source.raw");
        // Every fifth MiB stays zero so the copy also goes through nbdcopy's zero detection.
        TestData.writePattern(source, SIZE, 256, mib -> mib % 5 == 2);
        sourceSha = TestData.sha256(source);
    }

    /** 256 MiB into a memory export and back: the SHA-256 of what comes back equals the source's. */
    @Test
    @Verifies({"S48", "S55"})
    void roundTripThroughMemoryExport() throws IOException {
        Path back = dir.resolve("back.raw");
        try (NbdrefProcess server = NbdrefProcess.start("--export", "disk=memory:256M")) {
            String uri = server.uri("disk");
            PeerCommand.of("nbdcopy", source, uri).run().assertSuccess(server);
            PeerCommand.of("nbdcopy", uri, back).run().assertSuccess(server);
        }
        assertEquals(sourceSha, TestData.sha256(back), "bytes read back from the memory export");
    }

    /**
     * 256 MiB into a {@code file:} export and back: both the copy read back and the file behind the export
     * have the source's SHA-256.
     */
    @Test
    @Verifies({"S48", "S52", "S55"})
    void roundTripThroughFileExport() throws IOException {
        Path target = TestData.sparseFile(dir.resolve("target.raw"), SIZE);
        Path back = dir.resolve("back.raw");
        try (NbdrefProcess server = NbdrefProcess.start("--export", "disk=file:" + target)) {
            String uri = server.uri("disk");
            PeerCommand.of("nbdcopy", source, uri).run().assertSuccess(server);
            PeerCommand.of("nbdcopy", uri, back).run().assertSuccess(server);
        }
        assertEquals(sourceSha, TestData.sha256(back), "bytes read back from the file export");
        assertEquals(sourceSha, TestData.sha256(target), "the file behind the export");
    }
}
