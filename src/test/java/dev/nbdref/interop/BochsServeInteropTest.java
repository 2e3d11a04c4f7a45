package dev.nbdref.interop;

import static dev.nbdref.interop.TestData.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.bochs.BochsCreator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bochs images served over NBD ({@code serve --export NAME=bochs:PATH}) and read by qemu-img, nbdinfo --map and
 * nbdcopy: the bytes equal the converted raw image; unallocated extents are holes; the export is read-only
 * unless {@code ,rw}; writes through a writable export land in the image as Bochs allocations that qemu-img
 * then reads; a redolog over its base reports qemu:allocation-depth 1 and 2.
 */
class BochsServeInteropTest {
    private static final long SIZE = 48L * MIB;

    @TempDir
    Path dir;

    /** A 48 MiB image (64 KiB extents) whose MiBs 3, 8, 13, ... are zero and so never stored. */
    private Path image(Path raw) throws IOException {
        TestData.writePattern(raw, SIZE, 5, mib -> mib % 5 == 3);
        Path image = dir.resolve("disk.img");
        BochsCreator.create(image, SIZE, raw);
        return image;
    }

    @Test
    void qemuImgNbdinfoAndNbdcopyReadTheImage() throws IOException {
        Path raw = dir.resolve("disk.raw");
        Path image = image(raw);
        try (NbdrefProcess server = NbdrefProcess.start("--export", "d=bochs:" + image)) {
            String uri = server.uri("d");
            Path viaQemu = dir.resolve("qemu.raw");
            PeerCommand.of("qemu-img", "convert", "-f", "raw", "-O", "raw", uri, viaQemu).run().assertSuccess(server);
            assertEquals(TestData.sha256(raw), TestData.sha256(viaQemu), "qemu-img over NBD");
            Path viaNbdcopy = dir.resolve("nbdcopy.raw");
            PeerCommand.of("nbdcopy", uri, viaNbdcopy).run().assertSuccess(server);
            assertEquals(TestData.sha256(raw), TestData.sha256(viaNbdcopy), "nbdcopy");

            PeerResult map = PeerCommand.of("nbdinfo", "--map", uri).run().assertSuccess(server);
            List<AllocationMap.Range> zeroMiBs = new ArrayList<>();
            List<AllocationMap.Range> dataRuns = new ArrayList<>();
            long runStart = 0;
            for (long mib = 0; mib <= SIZE / MIB; mib++) {
                if (mib == SIZE / MIB || mib % 5 == 3) {
                    if (mib > runStart) dataRuns.add(new AllocationMap.Range(runStart * MIB, (mib - runStart) * MIB));
                    if (mib < SIZE / MIB) zeroMiBs.add(new AllocationMap.Range(mib * MIB, MIB));
                    runStart = mib + 1;
                }
            }
            AllocationMap extents = AllocationMap.fromNbdinfo(map.stdout()).assertCovers(SIZE)
                    .assertAgrees(dataRuns, List.of(), MIB);
            for (AllocationMap.Extent e : extents.extents()) {
                for (AllocationMap.Range z : zeroMiBs) {
                    if (z.overlaps(e.offset(), e.end())) {
                        assertTrue(!e.data() && e.zero(), "never-written MiB " + z + " is a hole: " + map.stdout());
                    }
                }
            }

            PeerResult write = PeerCommand.of("qemu-io", "-f", "raw", "-c", "write -P 0x11 0 4k", uri).run();
            assertFalse(write.succeeded(), "a bochs export is read-only by default\n" + write.describe());
        }
    }

    @Test
    void writesThroughAWritableExportAreReadByQemuImgFromTheFile() throws IOException {
        Path image = dir.resolve("rw.img");
        BochsCreator.create(image, 16L * MIB);
        try (NbdrefProcess server = NbdrefProcess.start("--export", "d=bochs:" + image + ",rw")) {
            String uri = server.uri("d");
            PeerCommand.of("qemu-io", "-f", "raw",
                    "-c", "write -P 0xab 1M 64k",
                    "-c", "write -P 0xcd 5000 3000",
                    "-c", "write -P 0xef 15M 1M",
                    "-c", "write -z -u 15M 512k",
                    "-c", "flush", uri).run().assertSuccess(server);
            PeerResult map = PeerCommand.of("qemu-img", "map", "--output=json", "-f", "raw", uri).run()
                    .assertSuccess(server);
            AllocationMap.fromQemuImgJson(map.stdout()).assertCovers(16L * MIB).assertAgrees(
                    List.of(new AllocationMap.Range(MIB, 64 * 1024), new AllocationMap.Range(5000, 3000),
                            new AllocationMap.Range(15L * MIB + 512 * 1024, 512 * 1024)),
                    List.of(new AllocationMap.Range(15L * MIB, 512 * 1024)), 16 * 1024);
        }
        Path expected = dir.resolve("expected.raw");
        PeerCommand.of("qemu-img", "create", "-f", "raw", expected, "16M").run().assertSuccess();
        PeerCommand.of("qemu-io", "-f", "raw",
                "-c", "write -P 0xab 1M 64k", "-c", "write -P 0xcd 5000 3000",
                "-c", "write -P 0xef 15M 1M", "-c", "write -z 15M 512k", expected).run().assertSuccess();
        Path viaQemu = dir.resolve("qemu.raw");
        PeerCommand.of("qemu-img", "convert", "-f", "bochs", "-O", "raw", image, viaQemu).run().assertSuccess();
        assertEquals(TestData.sha256(expected), TestData.sha256(viaQemu), "qemu-img -f bochs reads what the export wrote");
        PeerResult check = BochsFixturesInteropTest.jar("bochs", "check", "--strict", image).assertSuccess();
        assertTrue(check.stdout().contains("valid (strict)"), check.stdout());
    }

    @Test
    void aRedologOverItsBaseReportsAllocationDepth() throws IOException {
        Path base = dir.resolve("hd.raw");
        TestData.writePattern(base, 8L * MIB, 9, mib -> false);
        Path redolog = dir.resolve("hd.raw.redolog");
        Path changes = dir.resolve("changes.raw");
        TestData.sparseFile(changes, 8L * MIB);
        PeerCommand.of("qemu-io", "-f", "raw", "-c", "write -P 0x77 2M 128k", changes).run().assertSuccess();
        BochsCreator.create(redolog, 8L * MIB, changes);
        byte[] header = Files.readAllBytes(redolog);
        System.arraycopy("Undoable\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, header, 48, 9);
        Files.write(redolog, header);
        Path expected = dir.resolve("expected.raw");
        Files.copy(base, expected);
        PeerCommand.of("qemu-io", "-f", "raw", "-c", "write -P 0x77 2M 128k", expected).run().assertSuccess();

        try (NbdrefProcess server = NbdrefProcess.start("--export", "r=bochs:" + redolog)) {
            String uri = server.uri("r");
            Path viaQemu = dir.resolve("qemu.raw");
            PeerCommand.of("qemu-img", "convert", "-f", "raw", "-O", "raw", uri, viaQemu).run().assertSuccess(server);
            assertEquals(TestData.sha256(expected), TestData.sha256(viaQemu));
            PeerResult depth = PeerCommand.of("nbdinfo", "--map=qemu:allocation-depth", uri).run().assertSuccess(server);
            List<String> lines = depth.stdout().lines().map(String::trim).filter(l -> !l.isEmpty()).toList();
            assertEquals(3, lines.size(), depth.stdout());
            assertTrue(lines.get(0).matches("0\\s+2097152\\s+2\\b.*"), depth.stdout());
            assertTrue(lines.get(1).matches("2097152\\s+131072\\s+1\\b.*"), depth.stdout());
            assertTrue(lines.get(2).matches("2228224\\s+6160384\\s+2\\b.*"), depth.stdout());
        }
    }
}
