package dev.nbdref.interop;

import static dev.nbdref.interop.TestData.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.testing.Verifies;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libnbd's tools over TLS with {@code nbds://} URIs: {@code ?tls-certificates=DIR} takes the generated directory
 * as it is (ca-cert.pem, client-cert.pem, client-key.pem), {@code nbds://ID@host/...?tls-psk-file=FILE} the
 * generated keys file (libnbd 1.14 takes the PSK username from the URI's user part).
 */
class TlsLibnbdInteropTest {
    private static final long SIZE = 256L * MIB;

    @TempDir
    static Path shared;
    static Path pki;
    static Path source;
    static String sourceSha;

    @TempDir
    Path dir;

    @BeforeAll
    static void prepare() throws IOException {
        pki = TlsPkiTool.init(shared.resolve("pki"));
        source = shared.resolve("source.raw");
        TestData.writePattern(source, SIZE, 4, mib -> mib % 7 == 3); // some zero MiBs for nbdcopy's zero detection
        sourceSha = TestData.sha256(source);
    }

    private static String x509Uri(TlsServerProcess server) {
        return "nbds://127.0.0.1:" + server.port() + "/disk?tls-certificates=" + pki;
    }

    private static String pskUri(TlsServerProcess server) {
        return "nbds://client@127.0.0.1:" + server.port() + "/disk?tls-psk-file=" + pki.resolve("keys.psk");
    }

    private static void assertInfo(PeerResult info, TlsServerProcess server, long size) {
        server.expectSuccess(info);
        assertTrue(info.stdout().contains("protocol: newstyle-fixed with TLS"), info.describe());
        assertTrue(info.stdout().contains("export-size: " + size), info.describe());
    }

    /** The server prints nbds:// for a FORCEDTLS export; nbdinfo connects with the generated certificates. */
    @Test
    @Verifies("S26")
    void nbdinfoOverX509() {
        try (TlsServerProcess server = TlsServerProcess.start("--tls-x509", pki.toString(), "--export", "disk=memory:64M")) {
            assertEquals("nbds://127.0.0.1:" + server.port() + "/disk", server.uri("disk"));
            assertInfo(PeerCommand.of("nbdinfo", x509Uri(server)).run(), server, 64 * MIB);
            PeerResult list = server.expectSuccess(PeerCommand.of("nbdinfo", "--list", x509Uri(server)).run());
            assertTrue(list.stdout().contains("export=\"disk\""), list.describe());
        }
    }

    @Test
    @Verifies("S26")
    void nbdinfoOverPsk() {
        try (TlsServerProcess server = TlsServerProcess.start("--tls-psk", pki.resolve("keys.psk").toString(),
                "--export", "disk=memory:64M")) {
            assertInfo(PeerCommand.of("nbdinfo", pskUri(server)).run(), server, 64 * MIB);
            assertTrue(server.logShows("TLS up: TLSv1.3 TLS_AES_128_GCM_SHA256, PSK identity client"), server.logReport());
        }
    }

    /** 256 MiB through nbdcopy (several connections, many requests in flight) over mutual X.509, checked by SHA-256. */
    @Test
    @Verifies({"S26", "S48", "S55"})
    void nbdcopyRoundTripOverMutualX509() throws IOException {
        Path back = dir.resolve("back.raw");
        try (TlsServerProcess server = TlsServerProcess.start("--tls-x509", pki.toString(), "--tls-verify-peer",
                "--tls-authz", "CN=client", "--export", "disk=memory:256M")) {
            server.expectSuccess(PeerCommand.of("nbdcopy", source, x509Uri(server)).timeout(Duration.ofMinutes(3)).run());
            server.expectSuccess(PeerCommand.of("nbdcopy", x509Uri(server), back).timeout(Duration.ofMinutes(3)).run());
        }
        assertEquals(sourceSha, TestData.sha256(back), "bytes read back over TLS");
    }

    /** The same round trip over TLS-PSK. */
    @Test
    @Verifies({"S26", "S48", "S55"})
    void nbdcopyRoundTripOverPsk() throws IOException {
        Path back = dir.resolve("back.raw");
        try (TlsServerProcess server = TlsServerProcess.start("--tls-psk", pki.resolve("keys.psk").toString(),
                "--export", "disk=memory:256M")) {
            server.expectSuccess(PeerCommand.of("nbdcopy", source, pskUri(server)).timeout(Duration.ofMinutes(3)).run());
            server.expectSuccess(PeerCommand.of("nbdcopy", pskUri(server), back).timeout(Duration.ofMinutes(3)).run());
        }
        assertEquals(sourceSha, TestData.sha256(back), "bytes read back over TLS-PSK");
    }
}
