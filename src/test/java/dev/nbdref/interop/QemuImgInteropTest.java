package dev.nbdref.interop;

import static dev.nbdref.interop.TestData.KIB;
import static dev.nbdref.interop.TestData.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.interop.AllocationMap.Range;
import dev.nbdref.testing.Verifies;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.ObjectMapper;

/** qemu-img (qemu's NBD client, through the block layer) against nbdref. */
class QemuImgInteropTest {

    private static final long SIZE = 64L * MIB;

    @TempDir
    Path dir;

    /**
     * qemu-img info reports the exact size of a memory export and of a file export whose size is not a
     * multiple of a MiB: the size in NBD_INFO_EXPORT is passed through unrounded.
     */
    @Test
    @Verifies({"S12"})
    void infoShowsExactVirtualSize() throws IOException {
        long oddSize = 5L * MIB + 4 * KIB;
        Path odd = TestData.sparseFile(dir.resolve("odd.raw"), oddSize);
        try (NbdrefProcess server = NbdrefProcess.start("--export", "mem=memory:64M", "--export", "odd=file:" + odd)) {
            PeerResult text = PeerCommand.of("qemu-img", "info", server.uri("mem")).run().assertSuccess(server);
            assertTrue(text.stdout().contains("virtual size: 64 MiB (67108864 bytes)"), text.describe());

            assertEquals(SIZE, virtualSize(server, "mem"));
            assertEquals(oddSize, virtualSize(server, "odd"));
        }
    }

    /**
     * qemu-img convert writes a 64 MiB image with data and all-zero stretches onto a memory export,
     * qemu-img compare finds the export identical to the file, and converting back yields the same bytes.
     */
    @Test
    @Verifies({"S48", "S55", "S57"})
    void convertRoundTripKeepsEveryByte() throws IOException {
        Path source = dir.resolve("source.raw");
        TestData.writePattern(source, SIZE, 42, mib -> mib % 7 == 3 || (mib >= 40 && mib < 44));
        Path back = dir.resolve("back.raw");
        try (NbdrefProcess server = NbdrefProcess.start("--export", "disk=memory:64M")) {
            String uri = server.uri("disk");
            PeerCommand.of("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", source, uri).run()
                    .assertSuccess(server);
            PeerResult compare = PeerCommand.of("qemu-img", "compare", "-f", "raw", "-F", "raw", source, uri).run()
                    .assertSuccess(server);
            assertTrue(compare.stdout().contains("Images are identical"), compare.describe());
            PeerCommand.of("qemu-img", "convert", "-f", "raw", "-O", "raw", uri, back).run().assertSuccess(server);
        }
        assertEquals(TestData.sha256(source), TestData.sha256(back), "bytes read back through qemu-img convert");
    }

    /**
     * After qemu-io writes data at 1 MiB and 8 MiB and zeroes (with unmap) a previously written MiB at 20 MiB,
     * qemu-img map (block status, base:allocation) shows data exactly there, zero for the zeroed MiB, and
     * hole,zero everywhere else; the extents cover the export without gaps.
     */
    @Test
    @Verifies({"S63", "S64", "S66", "S67"})
    void mapShowsWhereDataWasWritten() {
        try (NbdrefProcess server = NbdrefProcess.start("--export", "disk=memory:64M")) {
            String uri = server.uri("disk");
            PeerCommand.of("qemu-io", "-f", "raw",
                    "-c", "write -P 0x11 1M 64k",
                    "-c", "write -P 0x22 8M 1M",
                    "-c", "write -P 0x33 20M 1M",
                    "-c", "write -z -u 20M 1M",
                    uri).run().assertSuccess(server);
            PeerResult map = PeerCommand.of("qemu-img", "map", "--output=json", "-f", "raw", uri).run()
                    .assertSuccess(server);
            AllocationMap.fromQemuImgJson(map.stdout())
                    .assertCovers(SIZE)
                    .assertAgrees(List.of(new Range(MIB, 64 * KIB), new Range(8L * MIB, MIB)),
                            List.of(new Range(20L * MIB, MIB)), 64 * KIB);
        }
    }

    private static long virtualSize(NbdrefProcess server, String export) {
        PeerResult info = PeerCommand.of("qemu-img", "info", "--output=json", server.uri(export)).run()
                .assertSuccess(server);
        return new ObjectMapper().readTree(info.stdout()).get("virtual-size").asLong();
    }
}
