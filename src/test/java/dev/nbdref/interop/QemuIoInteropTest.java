package dev.nbdref.interop;

import static dev.nbdref.interop.TestData.KIB;
import static dev.nbdref.interop.TestData.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.testing.Verifies;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** qemu-io (one command per NBD request) against nbdref, with results checked by a second client. */
class QemuIoInteropTest {

    @TempDir
    Path dir;

    /**
     * Each kind of write request qemu-io can send lands as it should: a plain WRITE, WRITE_ZEROES and TRIM over
     * previously written data (nbdref's memory export reads trimmed bytes as zero), FLUSH, and a WRITE with
     * FUA. nbdcopy, a different client on a new connection, then reads exactly those bytes, and qemu-io's own
     * pattern checks pass.
     */
    @Test
    @Verifies({"S52", "S53", "S54", "S55", "S57"})
    void writeZeroTrimFlushAndFuaReadBack() throws IOException {
        Path copy = dir.resolve("copy.raw");
        try (NbdrefProcess server = NbdrefProcess.start("--export", "disk=memory:8M")) {
            String uri = server.uri("disk");
            PeerResult writes = PeerCommand.of("qemu-io", "-f", "raw",
                    "-c", "write -P 0xab 0 64k",
                    "-c", "write -P 0x77 1M 64k",
                    "-c", "write -z 1M 64k",
                    "-c", "write -P 0x66 2M 64k",
                    "-c", "discard 2M 64k",
                    "-c", "flush",
                    "-c", "write -f -P 0x3c 3M 4k",
                    uri).run().assertSuccess(server);
            assertTrue(writes.stdout().contains("wrote 4096/4096 bytes at offset 3145728"), writes.describe());
            assertFalse(writes.output().toLowerCase().contains("error"), writes.describe());

            PeerCommand.of("nbdcopy", uri, copy).run().assertSuccess(server);

            PeerResult reads = PeerCommand.of("qemu-io", "-f", "raw", "-r",
                    "-c", "read -P 0xab 0 64k",
                    "-c", "read -P 0 1M 64k",
                    "-c", "read -P 0 2M 64k",
                    "-c", "read -P 0x3c 3M 4k",
                    uri).run().assertSuccess(server);
            assertFalse(reads.output().contains("Pattern verification failed"), reads.describe());
        }
        assertEquals(8L * MIB, Files.size(copy));
        TestData.assertFilled(copy, 0, 64 * KIB, 0xab, "plain write");
        TestData.assertFilled(copy, 64 * KIB, MIB - 64 * KIB, 0, "never written");
        TestData.assertFilled(copy, MIB, 64 * KIB, 0, "write-zeroes over 0x77");
        TestData.assertFilled(copy, 2L * MIB, 64 * KIB, 0, "discard over 0x66");
        TestData.assertFilled(copy, 3L * MIB, 4 * KIB, 0x3c, "FUA write");
        TestData.assertFilled(copy, 3L * MIB + 4 * KIB, 5 * MIB - 4 * KIB, 0, "never written");
    }

    /**
     * A {@code ,ro} export refuses writes. qemu-io sees READ_ONLY and refuses to open it for writing; a libnbd
     * client with strict mode off sends WRITE, TRIM and WRITE_ZEROES anyway: each fails (WRITE with EPERM),
     * a READ in the same session still works, and the file behind the export is unchanged.
     */
    @Test
    @Verifies({"S56"})
    void readOnlyExportRefusesWrites() throws IOException {
        Path file = TestData.sparseFile(dir.resolve("ro.raw"), 4L * MIB);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            byte[] fill = new byte[4 * KIB];
            Arrays.fill(fill, (byte) 0x5a);
            ch.write(ByteBuffer.wrap(fill), 0);
        }
        String before = TestData.sha256(file);
        Path script = dir.resolve("ro_writes.py");
        Files.writeString(script, READ_ONLY_SCRIPT);
        try (NbdrefProcess server = NbdrefProcess.start("--export", "ro=file:" + file + ",ro")) {
            String uri = server.uri("ro");
            PeerResult refused = PeerCommand.of("qemu-io", "-f", "raw", "-c", "write 0 4k", uri).run();
            assertTrue(refused.exitCode() != 0 || refused.output().matches("(?s).*(Operation not permitted"
                    + "|Permission denied|read-only|read only).*"), refused.describe());
            assertFalse(refused.output().contains("wrote 4096/4096"), refused.describe());

            PeerResult client = PeerCommand.python(script, uri).run().assertSuccess(server);
            String out = client.stdout();
            assertTrue(out.contains("read_only=True"), client.describe());
            assertTrue(out.contains("pwrite=EPERM"), "WRITE should fail with EPERM\n" + client.describe());
            assertFalse(out.contains("trim=ok"), "TRIM must fail\n" + client.describe());
            assertFalse(out.contains("zero=ok"), "WRITE_ZEROES must fail\n" + client.describe());
            assertTrue(out.contains("pread=5a5a5a5a"), "READ after the refused writes\n" + client.describe());

            PeerResult read = PeerCommand.of("qemu-io", "-f", "raw", "-r", "-c", "read -P 0x5a 0 4k", uri).run()
                    .assertSuccess(server);
            assertFalse(read.output().contains("Pattern verification failed"), read.describe());
        }
        assertEquals(before, TestData.sha256(file), "the file behind a read-only export changed");
    }

    /** Sends writes a strict client would hold back, prints one result line per request. */
    private static final String READ_ONLY_SCRIPT = """
            import sys
            import nbd

            h = nbd.NBD()
            h.set_strict_mode(0)  # send the requests even though the export is read-only
            h.connect_uri(sys.argv[1])
            print("read_only=%s" % h.is_read_only())

            def attempt(name, call):
                try:
                    call()
                    print("%s=ok" % name)
                except nbd.Error as e:
                    print("%s=%s (%s)" % (name, e.errno, e.string))

            attempt("pwrite", lambda: h.pwrite(b"\\x01" * 4096, 0))
            attempt("trim", lambda: h.trim(4096, 0))
            attempt("zero", lambda: h.zero(4096, 0))
            print("pread=%s" % h.pread(4096, 0)[:4].hex())
            h.shutdown()
            """;
}
