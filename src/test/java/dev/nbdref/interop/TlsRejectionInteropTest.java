package dev.nbdref.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.testing.Verifies;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients the server must turn away, as real peers meet them: a client certificate from another CA, no client
 * certificate where one is required, a subject outside the authorization list, and a plaintext client against
 * FORCEDTLS. Each rejection is checked on both sides: the peer fails, and the server's log names the reason.
 */
class TlsRejectionInteropTest {
    private static final long IHAVEOPT = 0x49484156454F5054L;
    private static final int NBD_OPT_GO = 7;
    private static final int NBD_REP_ERR_TLS_REQD = 0x80000005;

    @TempDir
    static Path shared;
    static Path pki;
    static Path otherCa;
    static Path impostor;

    @BeforeAll
    static void makePkis() {
        pki = TlsPkiTool.init(shared.resolve("pki"), "--client", "alice");
        otherCa = TlsPkiTool.init(shared.resolve("other"));
        // Same CA name, different key: GnuTLS then offers its certificate (the name matches the server's request)
        // and the server's signature check is what has to refuse it.
        impostor = TlsPkiTool.init(shared.resolve("impostor"), "--ca-name", TlsPkiTool.caName(pki));
    }

    private static String uri(TlsServerProcess server, Path certificates) {
        return "nbds://127.0.0.1:" + server.port() + "/disk?tls-certificates=" + certificates;
    }

    private static TlsServerProcess verifyingServer(String... extra) {
        String[] base = {"--tls-x509", pki.toString(), "--tls-verify-peer", "--export", "disk=memory:64M"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return TlsServerProcess.start(all);
    }

    private static void assertRefused(PeerResult result, TlsServerProcess server, String reason) {
        assertFalse(result.succeeded(), "the peer must fail\n" + result.describe() + "\n" + server.logReport());
        assertFalse(result.stdout().contains("export-size"), result.describe());
        assertTrue(server.logShows(reason), "expected \"" + reason + "\" in the server log\n" + server.logReport());
        assertFalse(server.log().contains("transmission on export"), "no client may reach the export\n" + server.logReport());
    }

    /** A certificate signed by an impostor CA of the same name: the server's chain check refuses it. */
    @Test
    @Verifies("S26")
    void clientCertificateFromAnImpostorCaIsRejected() {
        Path client = TlsPkiTool.clientDir(shared.resolve("impostor-client"), pki, impostor);
        try (TlsServerProcess server = verifyingServer()) {
            PeerResult info = PeerCommand.of("nbdinfo", uri(server, client)).run();
            assertRefused(info, server, "sent alert unknown_ca(48); client certificate \"CN=client\" rejected");
            PeerResult qemu = PeerCommand.of("qemu-img", "info", "--object",
                    "tls-creds-x509,id=tls0,dir=" + client + ",endpoint=client",
                    "--image-opts", "driver=nbd,host=127.0.0.1,port=" + server.port() + ",export=disk,tls-creds=tls0").run();
            assertFalse(qemu.succeeded(), qemu.describe());
        }
    }

    /**
     * A certificate from an unrelated CA: GnuTLS does not even send it (the server's request names its own CA),
     * so the server sees a client without a certificate.
     */
    @Test
    @Verifies("S26")
    void clientCertificateFromAnotherCaIsRejected() {
        Path client = TlsPkiTool.clientDir(shared.resolve("other-client"), pki, otherCa);
        try (TlsServerProcess server = verifyingServer()) {
            assertRefused(PeerCommand.of("nbdinfo", uri(server, client)).run(), server, "certificate_required(116)");
        }
    }

    @Test
    @Verifies("S26")
    void clientWithoutCertificateIsRejectedWhenRequired() {
        Path client = TlsPkiTool.clientDir(shared.resolve("no-cert"), pki, null);
        try (TlsServerProcess server = verifyingServer()) {
            assertRefused(PeerCommand.of("nbdinfo", uri(server, client)).run(), server,
                    "certificate_required(116); this server requires a client certificate and the client sent none");
        }
    }

    /** --tls-authz CN=alice: CN=client is refused by name, alice (DIR/clients/alice) gets in. */
    @Test
    @Verifies("S26")
    void subjectOutsideTheAuthorizationListIsRejected() {
        try (TlsServerProcess server = verifyingServer("--tls-authz", "CN=alice")) {
            assertRefused(PeerCommand.of("nbdinfo", uri(server, pki)).run(), server,
                    "access_denied(49); client certificate subject \"CN=client\" is not in the authorization list");
        }
        try (TlsServerProcess server = verifyingServer("--tls-authz", "CN=alice")) {
            server.expectSuccess(PeerCommand.of("nbdinfo", uri(server, pki.resolve("clients/alice"))).run());
            assertTrue(server.logShows("client CN=alice"), server.logReport());
        }
    }

    /** A client that does not trust the server's CA gives up; the server logs why the handshake ended. */
    @Test
    @Verifies("S26")
    void clientThatDistrustsTheServerCertificateFails() {
        try (TlsServerProcess server = TlsServerProcess.start("--tls-x509", pki.toString(), "--export", "disk=memory:64M")) {
            PeerResult info = PeerCommand.of("nbdinfo", uri(server, otherCa)).run();
            assertFalse(info.succeeded(), info.describe());
            assertTrue(info.stderr().contains("certificate verification"), info.describe());
            assertTrue(server.logShows("TLS handshake failed"), server.logReport());
        }
    }

    /**
     * FORCEDTLS against plaintext clients: nbdinfo, qemu-img and nbd-client all fail without export data, and a
     * raw NBD_OPT_GO gets NBD_REP_ERR_TLS_REQD.
     */
    @Test
    @Verifies("S27")
    void plaintextClientsGetTlsRequiredAndNoData() throws IOException {
        try (TlsServerProcess server = TlsServerProcess.start("--tls-x509", pki.toString(), "--tls-mode", "require",
                "--export", "disk=memory:64M")) {
            String plain = "nbd://127.0.0.1:" + server.port() + "/disk";
            PeerResult info = PeerCommand.of("nbdinfo", plain).run();
            assertFalse(info.succeeded(), info.describe());
            assertFalse(info.stdout().contains("export-size"), info.describe());
            PeerResult qemu = PeerCommand.of("qemu-img", "info", plain).run();
            assertFalse(qemu.succeeded(), qemu.describe());
            assertTrue(qemu.stderr().contains("TLS negotiation required"), qemu.describe());
            PeerResult list = PeerCommand.of("nbd-client", "-l", "127.0.0.1", server.port()).run();
            assertTrue(list.output().contains("requires TLS"), list.describe());
            assertEquals(NBD_REP_ERR_TLS_REQD, plaintextGoReplyType(server.port()));
            assertFalse(server.log().contains("transmission on export"), server.logReport());
        }
    }

    /** Fixed newstyle handshake in plain text, then NBD_OPT_GO for "disk": returns the reply type. */
    private static int plaintextGoReplyType(int port) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(10_000);
            DataInputStream in = new DataInputStream(socket.getInputStream());
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            in.readLong(); // NBDMAGIC
            assertEquals(IHAVEOPT, in.readLong());
            in.readUnsignedShort(); // handshake flags
            out.writeInt(3); // C_FIXED_NEWSTYLE | C_NO_ZEROES
            byte[] name = "disk".getBytes(StandardCharsets.US_ASCII);
            out.writeLong(IHAVEOPT);
            out.writeInt(NBD_OPT_GO);
            out.writeInt(4 + name.length + 2);
            out.writeInt(name.length);
            out.write(name);
            out.writeShort(0); // no information requests
            out.flush();
            in.readLong(); // reply magic
            assertEquals(NBD_OPT_GO, in.readInt());
            int type = in.readInt();
            in.skipNBytes(in.readInt());
            return type;
        }
    }
}
