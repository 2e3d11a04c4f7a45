package dev.nbdref.interop;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.testing.Verifies;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * qemu-img and qemu-io (GnuTLS) over STARTTLS, with credentials from {@code nbdref pki init} used as qemu's
 * {@code tls-creds-x509} and {@code tls-creds-psk} directories. qemu checks the server certificate against
 * ca-cert.pem and the host name (127.0.0.1, a subjectAltName of the generated certificate).
 */
class TlsQemuInteropTest {

    @TempDir
    static Path shared;
    static Path rsa;
    static Path ec;

    @BeforeAll
    static void makePkis() {
        rsa = TlsPkiTool.init(shared.resolve("rsa"));
        ec = TlsPkiTool.init(shared.resolve("ec"), "--key-type", "ec");
    }

    private static String x509Object(Path dir, String priority) {
        return "tls-creds-x509,id=tls0,dir=" + dir + ",endpoint=client" + (priority != null ? ",priority=" + priority : "");
    }

    private static String pskObject(Path dir, String priority) {
        return "tls-creds-psk,id=tls0,dir=" + dir + ",username=client,endpoint=client"
                + (priority != null ? ",priority=" + priority : "");
    }

    private static String imageOpts(TlsServerProcess server) {
        return "driver=nbd,host=127.0.0.1,port=" + server.port() + ",export=disk,tls-creds=tls0";
    }

    private static PeerResult qemuImgInfo(TlsServerProcess server, String object) {
        return PeerCommand.of("qemu-img", "info", "--object", object, "--image-opts", imageOpts(server)).run();
    }

    private static void assertInfo(PeerResult info, TlsServerProcess server) {
        server.expectSuccess(info);
        assertTrue(info.stdout().contains("virtual size: 64 MiB (67108864 bytes)"), info.describe());
    }

    private static void assertLog(TlsServerProcess server, String expected) {
        assertTrue(server.logShows(expected), "expected \"" + expected + "\" in the server log\n" + server.logReport());
    }

    /** qemu-img info over X.509 (RSA certificate, TLS 1.3). */
    @Test
    @Verifies("S26")
    void qemuImgInfoOverX509() {
        try (TlsServerProcess server = TlsServerProcess.start("--tls-x509", rsa.toString(), "--export", "disk=memory:64M")) {
            assertInfo(qemuImgInfo(server, x509Object(rsa, null)), server);
            assertLog(server, "TLS up: TLSv1.3 TLS_AES_128_GCM_SHA256");
        }
    }

    /** qemu-img info over TLS-PSK with the generated keys.psk (qemu reads DIR/keys.psk). */
    @Test
    @Verifies("S26")
    void qemuImgInfoOverPsk() {
        try (TlsServerProcess server = TlsServerProcess.start("--tls-psk", rsa.resolve("keys.psk").toString(),
                "--export", "disk=memory:64M")) {
            assertInfo(qemuImgInfo(server, pskObject(rsa, null)), server);
            assertLog(server, "PSK identity client");
        }
    }

    /** TLS 1.2 (qemu's priority string takes 1.3 away): ECDHE-ECDSA with an EC certificate, DHE-PSK with the key. */
    @Test
    @Verifies("S32")
    void qemuImgInfoOverTls12() {
        String tls12 = "NORMAL:-VERS-TLS1.3";
        try (TlsServerProcess server = TlsServerProcess.start("--tls-x509", ec.toString(),
                "--tls-psk", ec.resolve("keys.psk").toString(), "--export", "disk=memory:64M")) {
            assertInfo(qemuImgInfo(server, x509Object(ec, tls12)), server);
            assertLog(server, "TLS up: TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
            assertInfo(qemuImgInfo(server, pskObject(ec, tls12)), server);
            assertLog(server, "TLS up: TLSv1.2 TLS_DHE_PSK_WITH_AES_128_GCM_SHA256, PSK identity client");
        }
    }

    /** qemu-io writes a pattern and reads it back over mutual X.509 (EC keys; the server verifies qemu's certificate). */
    @Test
    @Verifies({"S26", "S55"})
    void qemuIoOverMutualX509() {
        try (TlsServerProcess server = TlsServerProcess.start("--tls-x509", ec.toString(), "--tls-verify-peer",
                "--export", "disk=memory:64M")) {
            PeerResult io = PeerCommand.of("qemu-io", "--object", x509Object(ec, null), "--image-opts", imageOpts(server),
                    "-c", "write -P 0xab 1M 64k", "-c", "read -P 0xab 1M 64k", "-c", "read -P 0 0 64k").run();
            server.expectSuccess(io);
            assertTrue(io.stdout().contains("wrote 65536/65536 bytes at offset 1048576"), io.describe());
            assertTrue(io.stdout().contains("read 65536/65536 bytes at offset 1048576"), io.describe());
            assertTrue(!io.output().contains("Pattern verification failed"), io.describe());
            assertLog(server, "client CN=client");
        }
    }

    /** qemu-io over TLS-PSK: write, read back, flush. */
    @Test
    @Verifies({"S26", "S55"})
    void qemuIoOverPsk() {
        try (TlsServerProcess server = TlsServerProcess.start("--tls-psk", rsa.resolve("keys.psk").toString(),
                "--export", "disk=memory:64M")) {
            PeerResult io = PeerCommand.of("qemu-io", "--object", pskObject(rsa, null), "--image-opts", imageOpts(server),
                    "-c", "write -P 0x5a 0 128k", "-c", "flush", "-c", "read -P 0x5a 0 128k").run();
            server.expectSuccess(io);
            assertTrue(io.stdout().contains("read 131072/131072 bytes at offset 0"), io.describe());
            assertTrue(!io.output().contains("Pattern verification failed"), io.describe());
        }
    }
}
