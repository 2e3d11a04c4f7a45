package dev.nbdref.tls;

import org.bouncycastle.tls.CipherSuite;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsClient;
import dev.nbdref.testing.Verifies;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TLS-PSK handshakes (TLS 1.3 external PSK, TLS 1.2 DHE-PSK and ECDHE-PSK), alone and beside X.509. */
class TlsPskHandshakeTest {
    private static final int[] TLS13_ALL = {CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
            CipherSuite.TLS_AES_128_GCM_SHA256};

    @TempDir
    static Path tmp;
    static TestPki pki;
    static byte[] key;

    @BeforeAll
    static void makePki() throws Exception {
        pki = TestPki.create(tmp.resolve("pki"), PkiGenerator.KeyType.EC);
        key = pki.pskKey();
    }

    private static TlsUpgrader pskOnly() throws Exception {
        return new TlsSettings(null, pki.pskFile(), false, List.of()).createUpgrader();
    }

    private static TlsUpgrader both(boolean verifyPeer) throws Exception {
        return new TlsSettings(pki.dir(), pki.pskFile(), verifyPeer, List.of()).createUpgrader();
    }

    @Test
    void tls13PskPicksASha256SuiteEvenWhenTheClientPrefersSha384() throws Exception {
        TlsLoopback.Outcome o = TlsLoopback.handshake(pskOnly(), TestClients.psk13("client", key, TLS13_ALL));
        assertTrue(o.succeeded(), o.describe());
        assertEquals("TLSv1.3", o.session().protocol());
        assertEquals("TLS_AES_128_GCM_SHA256", o.session().cipherSuite());
        assertEquals("client", o.session().pskIdentity());
        assertNull(o.session().peerDn());
        assertEquals("pong ping", o.reply());
    }

    @Test
    @Verifies("S32")
    void tls12DhePskAndEcdhePsk() throws Exception {
        TlsLoopback.Outcome dhe = TlsLoopback.handshake(pskOnly(),
                TestClients.psk12("client", key, CipherSuite.TLS_DHE_PSK_WITH_AES_128_GCM_SHA256));
        assertTrue(dhe.succeeded(), dhe.describe());
        assertEquals("TLSv1.2", dhe.session().protocol());
        assertEquals("TLS_DHE_PSK_WITH_AES_128_GCM_SHA256", dhe.session().cipherSuite());
        assertEquals("client", dhe.session().pskIdentity());
        TlsLoopback.Outcome ecdhe = TlsLoopback.handshake(pskOnly(),
                TestClients.psk12("client", key, CipherSuite.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256));
        assertTrue(ecdhe.succeeded(), ecdhe.describe());
        assertEquals("TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", ecdhe.session().cipherSuite());
        assertEquals("pong ping", ecdhe.reply());
    }

    @Test
    void theKeySurvivesRepeatedHandshakes() throws Exception {
        TlsUpgrader upgrader = pskOnly(); // BC wipes the key it is handed; the upgrader must hand out copies
        for (int i = 0; i < 3; i++) {
            TlsLoopback.Outcome v12 = TlsLoopback.handshake(upgrader,
                    TestClients.psk12("client", key, CipherSuite.TLS_DHE_PSK_WITH_AES_128_GCM_SHA256));
            assertTrue(v12.succeeded(), "TLS 1.2 round " + i + ": " + v12.describe());
            TlsLoopback.Outcome v13 = TlsLoopback.handshake(upgrader,
                    TestClients.psk13("client", key, CipherSuite.TLS_AES_128_GCM_SHA256));
            assertTrue(v13.succeeded(), "TLS 1.3 round " + i + ": " + v13.describe());
        }
    }

    @Test
    @Verifies("S26")
    void unknownIdentityIsRejectedAndNamed() throws Exception {
        TlsLoopback.Outcome v13 = TlsLoopback.handshake(pskOnly(), TestClients.psk13("mallory", key, TLS13_ALL));
        assertInstanceOf(TlsHandshakeException.class, v13.serverError(), v13.describe());
        assertTrue(v13.serverError().getMessage().contains("mallory"), v13.serverError().getMessage());
        TlsLoopback.Outcome v12 = TlsLoopback.handshake(pskOnly(),
                TestClients.psk12("mallory", key, CipherSuite.TLS_DHE_PSK_WITH_AES_128_GCM_SHA256));
        assertInstanceOf(TlsHandshakeException.class, v12.serverError(), v12.describe());
        assertTrue(v12.serverError().getMessage().contains("unknown_psk_identity"), v12.serverError().getMessage());
    }

    @Test
    @Verifies("S26")
    void wrongKeyIsRejected() throws Exception {
        byte[] wrong = key.clone();
        wrong[0] ^= 1;
        TlsLoopback.Outcome v13 = TlsLoopback.handshake(pskOnly(), TestClients.psk13("client", wrong, TLS13_ALL));
        assertInstanceOf(TlsHandshakeException.class, v13.serverError(), v13.describe());
        TlsLoopback.Outcome v12 = TlsLoopback.handshake(pskOnly(),
                TestClients.psk12("client", wrong, CipherSuite.TLS_DHE_PSK_WITH_AES_128_GCM_SHA256));
        assertTrue(v12.serverError() != null || v12.clientError() != null, v12.describe());
        assertNull(v12.reply(), "no data may pass with the wrong key");
    }

    @Test
    void x509AndPskCoexistAndTheClientsOfferDecides() throws Exception {
        TlsUpgrader upgrader = both(true);
        TlsLoopback.Outcome psk13 = TlsLoopback.handshake(upgrader, TestClients.psk13("client", key, TLS13_ALL));
        assertTrue(psk13.succeeded(), psk13.describe());
        assertEquals("client", psk13.session().pskIdentity());
        assertNull(psk13.session().peerDn(), "a PSK client is not asked for a certificate");
        TlsLoopback.Outcome psk12 = TlsLoopback.handshake(upgrader,
                TestClients.psk12("client", key, CipherSuite.TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256));
        assertTrue(psk12.succeeded(), psk12.describe());
        for (ProtocolVersion version : new ProtocolVersion[]{ProtocolVersion.TLSv13, ProtocolVersion.TLSv12}) {
            TlsLoopback.Outcome cert = TlsLoopback.handshake(upgrader,
                    TestClients.x509(pki.ca(), pki.client("client"), version));
            assertTrue(cert.succeeded(), version + ": " + cert.describe());
            assertEquals("CN=client", cert.session().peerDn());
            assertNull(cert.session().pskIdentity());
        }
        TlsLoopback.Outcome noCert = TlsLoopback.handshake(upgrader, TestClients.x509(pki.ca(), null, null));
        assertInstanceOf(TlsHandshakeException.class, noCert.serverError(), "verify-peer still binds certificate clients");
    }

    /** One upgrader serves every connection of the server, concurrently. */
    @Test
    void oneUpgraderServesConcurrentHandshakes() throws Exception {
        TlsUpgrader upgrader = both(false);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<TlsLoopback.Outcome>> outcomes = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                TlsClient client = i % 3 == 0 ? TestClients.psk13("client", key, TLS13_ALL)
                        : i % 3 == 1 ? TestClients.psk12("client", key, CipherSuite.TLS_DHE_PSK_WITH_AES_128_GCM_SHA256)
                        : TestClients.x509(pki.ca(), null, null);
                outcomes.add(pool.submit(() -> TlsLoopback.handshake(upgrader, client)));
            }
            for (Future<TlsLoopback.Outcome> f : outcomes) {
                TlsLoopback.Outcome o = f.get(60, TimeUnit.SECONDS);
                assertTrue(o.succeeded(), o.describe());
                assertEquals("pong ping", o.reply());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aCertificateOnlyServerRefusesPskClients() throws Exception {
        TlsUpgrader x509Only = new TlsSettings(pki.dir(), null, false, List.of()).createUpgrader();
        TlsLoopback.Outcome o = TlsLoopback.handshake(x509Only,
                TestClients.psk12("client", key, CipherSuite.TLS_DHE_PSK_WITH_AES_128_GCM_SHA256));
        assertInstanceOf(TlsHandshakeException.class, o.serverError(), o.describe());
    }
}
