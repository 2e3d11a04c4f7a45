package dev.nbdref.interop;

import static dev.nbdref.interop.TestData.KIB;
import static dev.nbdref.interop.TestData.MIB;
import static org.junit.jupiter.api.Assertions.fail;

import dev.nbdref.interop.AllocationMap.Extent;
import dev.nbdref.interop.AllocationMap.Range;
import dev.nbdref.testing.Verifies;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code file:} export over a sparse file: block status follows the file's real holes, TRIM punches a hole,
 * and a flushed write is in the file on disk.
 */
class FileExportInteropTest {

    private static final long SIZE = 64L * MIB;

    @TempDir
    Path dir;

    /**
     * A 64 MiB sparse file with 1 MiB of data at 16 MiB: nbdinfo --map shows data only there. After
     * {@code discard 16M 1M} the whole export is hole,zero. After {@code write -P 0x5a 0 4k} and {@code flush},
     * the file itself (read directly, not through the server) starts with 4 KiB of 0x5a.
     */
    @Test
    @Verifies({"S52", "S55", "S63", "S64", "S66"})
    void mapFollowsHolesTrimPunchesAndFlushReachesTheFile() throws IOException {
        Path file = TestData.sparseFile(dir.resolve("sparse.raw"), SIZE);
        writeRandom(file, 16L * MIB, MIB);
        try (NbdrefProcess server = NbdrefProcess.start("--export", "disk=file:" + file)) {
            String uri = server.uri("disk");
            map(server, uri).assertAgrees(List.of(new Range(16L * MIB, MIB)), List.of(), 64 * KIB);

            PeerCommand.of("qemu-io", "-f", "raw", "-c", "discard 16M 1M", uri).run().assertSuccess(server);
            AllocationMap trimmed = map(server, uri);
            for (Extent e : trimmed.extents()) {
                if (e.data() || !e.zero()) {
                    fail("after discard 16M 1M the whole export should be hole,zero, but " + e + " is not\n"
                            + trimmed.extents() + "\n" + server.logReport());
                }
            }

            PeerCommand.of("qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 4k", "-c", "flush", uri).run()
                    .assertSuccess(server);
            // Read the file while the server still runs: the flush reply promised the data is there.
            TestData.assertFilled(file, 0, 4 * KIB, 0x5a, "file on disk after write + flush");
            map(server, uri).assertAgrees(List.of(new Range(0, 4 * KIB)), List.of(), 64 * KIB);
        }
    }

    private static AllocationMap map(NbdrefProcess server, String uri) {
        PeerResult map = PeerCommand.of("nbdinfo", "--map", uri).run().assertSuccess(server);
        return AllocationMap.fromNbdinfo(map.stdout()).assertCovers(SIZE);
    }

    private static void writeRandom(Path file, long offset, int length) throws IOException {
        byte[] data = new byte[length];
        new SplittableRandom(16).nextBytes(data);
        data[0] = 1; // never all zero, whatever the seed gives
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(data);
            while (buffer.hasRemaining()) {
                ch.write(buffer, offset + buffer.position());
            }
        }
    }
}
