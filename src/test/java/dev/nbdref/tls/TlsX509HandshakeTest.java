package dev.nbdref.tls;

import org.bouncycastle.tls.ProtocolVersion;
import dev.nbdref.testing.Verifies;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** X.509 handshakes against the engine, with PKIs from nbdref's own generator (RSA and EC keys). */
class TlsX509HandshakeTest {

    @TempDir
    static Path tmp;
    static TestPki rsa;
    static TestPki ec;
    static TestPki otherCa;

    @BeforeAll
    static void makePkis() throws Exception {
        rsa = TestPki.create(tmp.resolve("rsa"), PkiGenerator.KeyType.RSA, "alice");
        ec = TestPki.create(tmp.resolve("ec"), PkiGenerator.KeyType.EC);
        otherCa = TestPki.create(tmp.resolve("other"), PkiGenerator.KeyType.RSA);
    }

    private static TlsUpgrader upgrader(TestPki pki, boolean verifyPeer, String... authz) throws Exception {
        return new TlsSettings(pki.dir(), null, verifyPeer, List.of(authz)).createUpgrader();
    }

    private static TlsLoopback.Outcome connect(TlsUpgrader upgrader, TestPki trust, TestPki.ClientCredentials cert,
                                               ProtocolVersion version) throws Exception {
        return TlsLoopback.handshake(upgrader, TestClients.x509(trust.ca(), cert, version));
    }

    @Test
    void rsaServerOverTls13CarriesDataBothWays() throws Exception {
        TlsLoopback.Outcome o = connect(upgrader(rsa, false), rsa, null, null);
        assertTrue(o.succeeded(), o.describe());
        assertEquals("TLSv1.3", o.session().protocol());
        assertEquals("TLS_AES_128_GCM_SHA256", o.session().cipherSuite(), "the server prefers AES-128-GCM");
        assertNull(o.session().peerDn());
        assertNull(o.session().pskIdentity());
        assertEquals("pong ping", o.reply());
    }

    @Test
    @Verifies("S32")
    void rsaServerOverTls12() throws Exception {
        TlsLoopback.Outcome o = connect(upgrader(rsa, false), rsa, null, ProtocolVersion.TLSv12);
        assertTrue(o.succeeded(), o.describe());
        assertEquals("TLSv1.2", o.session().protocol());
        assertEquals("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", o.session().cipherSuite());
        assertEquals("pong ping", o.reply());
    }

    @Test
    @Verifies("S32")
    void ecServerOverBothVersions() throws Exception {
        TlsLoopback.Outcome v13 = connect(upgrader(ec, true), ec, ec.client("client"), ProtocolVersion.TLSv13);
        assertTrue(v13.succeeded(), v13.describe());
        assertEquals("TLSv1.3", v13.session().protocol());
        assertEquals("CN=client", v13.session().peerDn());
        TlsLoopback.Outcome v12 = connect(upgrader(ec, true), ec, ec.client("client"), ProtocolVersion.TLSv12);
        assertTrue(v12.succeeded(), v12.describe());
        assertEquals("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", v12.session().cipherSuite());
        assertEquals("CN=client", v12.session().peerDn());
    }

    @Test
    @Verifies("S32")
    void verifiedClientIsReportedByItsDn() throws Exception {
        for (ProtocolVersion version : new ProtocolVersion[]{ProtocolVersion.TLSv13, ProtocolVersion.TLSv12}) {
            TlsLoopback.Outcome o = connect(upgrader(rsa, true), rsa, rsa.client("alice"), version);
            assertTrue(o.succeeded(), version + ": " + o.describe());
            assertEquals("CN=alice", o.session().peerDn());
            assertEquals("pong ping", o.reply());
        }
    }

    @Test
    void aClientCertificateIsNotAskedForUnlessPeersAreVerified() throws Exception {
        TlsLoopback.Outcome o = connect(upgrader(rsa, false), rsa, rsa.client("client"), null);
        assertTrue(o.succeeded(), o.describe());
        assertNull(o.session().peerDn(), "no certificate requested, so none is reported");
    }

    @Test
    @Verifies("S26")
    void missingClientCertificateIsRejectedWhenRequired() throws Exception {
        TlsLoopback.Outcome v13 = connect(upgrader(rsa, true), rsa, null, ProtocolVersion.TLSv13);
        assertRejected(v13, "certificate_required");
        TlsLoopback.Outcome v12 = connect(upgrader(rsa, true), rsa, null, ProtocolVersion.TLSv12);
        assertRejected(v12, "handshake_failure");
    }

    @Test
    @Verifies("S26")
    void clientCertificateFromAnotherCaIsRejected() throws Exception {
        for (ProtocolVersion version : new ProtocolVersion[]{ProtocolVersion.TLSv13, ProtocolVersion.TLSv12}) {
            TlsLoopback.Outcome o = connect(upgrader(rsa, true), rsa, otherCa.client("client"), version);
            assertRejected(o, "unknown_ca");
        }
    }

    @Test
    @Verifies("S26")
    void authorizationListAdmitsOnlyItsDns() throws Exception {
        TlsLoopback.Outcome denied = connect(upgrader(rsa, true, "CN=alice"), rsa, rsa.client("client"), null);
        assertRejected(denied, "access_denied");
        assertTrue(denied.serverError().getMessage().contains("CN=client"), denied.serverError().getMessage());
        // RFC 2253 comparison: case and spacing of attribute names and values do not matter
        TlsLoopback.Outcome allowed = connect(upgrader(rsa, false, "cn = Alice", "CN=bob"), rsa, rsa.client("alice"), null);
        assertTrue(allowed.succeeded(), allowed.describe());
        assertEquals("CN=alice", allowed.session().peerDn());
    }

    @Test
    void clientThatDistrustsTheServerLeavesAClearReason() throws Exception {
        TlsLoopback.Outcome o = connect(upgrader(rsa, false), otherCa, null, null);
        assertInstanceOf(TlsHandshakeException.class, o.serverError(), o.describe());
        String why = o.serverError().getMessage(); // the client's alert, unless its close overtook the server's write
        assertTrue(why.contains("the client sent alert bad_certificate") || why.contains("the client closed the connection"), why);
    }

    private static void assertRejected(TlsLoopback.Outcome o, String alert) {
        assertNull(o.session(), o.describe());
        assertNotNull(o.clientError(), "the client must notice: " + o.describe());
        assertInstanceOf(TlsHandshakeException.class, o.serverError(), o.describe());
        assertTrue(o.serverError().getMessage().contains(alert), "expected " + alert + ": " + o.serverError().getMessage());
    }
}
