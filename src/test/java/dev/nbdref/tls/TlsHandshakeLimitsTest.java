package dev.nbdref.tls;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Handshakes that cannot succeed end promptly with a reason, whatever the client does. */
class TlsHandshakeLimitsTest {

    @TempDir
    static Path tmp;
    static TestPki pki;

    @BeforeAll
    static void makePki() throws Exception {
        pki = TestPki.create(tmp.resolve("pki"), PkiGenerator.KeyType.EC);
    }

    private static BcTlsUpgrader upgrader(Duration budget) throws IOException {
        X509Credentials x509 = X509Credentials.load(pki.dir(), false);
        return new BcTlsUpgrader(x509, PskKeys.load(pki.pskFile()), null, budget);
    }

    @Test
    void aClientThatTricklesIsCutOffAtTheDeadline() throws IOException {
        // A record header announcing a 16 KiB ClientHello, then one byte every 50 ms: each read succeeds,
        // so only a deadline on the whole handshake can end it.
        InputStream trickle = new InputStream() {
            private final byte[] header = {0x16, 0x03, 0x01, 0x40, 0x00};
            private int sent;

            @Override
            public int read() throws IOException {
                if (sent < header.length) return header[sent++];
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                return 0x01;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) return 0;
                int c = read();
                b[off] = (byte) c;
                return 1;
            }
        };
        long start = System.nanoTime();
        TlsHandshakeException e = assertThrows(TlsHandshakeException.class,
                () -> upgrader(Duration.ofMillis(500)).handshake(trickle, new ByteArrayOutputStream()));
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
        assertTrue(tookMs < 5_000, "took " + tookMs + " ms");
    }

    @Test
    void plaintextInsteadOfAClientHelloFails() {
        byte[] nbdOption = {0x49, 0x48, 0x41, 0x56, 0x45, 0x4f, 0x50, 0x54, 0, 0, 0, 1, 0, 0, 0, 0};
        TlsHandshakeException e = assertThrows(TlsHandshakeException.class,
                () -> upgrader(Duration.ofSeconds(5)).handshake(new ByteArrayInputStream(nbdOption), new ByteArrayOutputStream()));
        assertTrue(e.getMessage().contains("alert"), e.getMessage());
    }

    @Test
    void aClientThatHangsUpIsReportedAsSuch() {
        TlsHandshakeException e = assertThrows(TlsHandshakeException.class,
                () -> upgrader(Duration.ofSeconds(5)).handshake(new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream()));
        assertTrue(e.getMessage().contains("the client closed the connection"), e.getMessage());
    }

    @Test
    void settingsWithBothKindsOfCredentialsMakeOneUpgrader() throws IOException {
        assertTrue(new TlsSettings(pki.dir(), pki.pskFile(), true, List.of()).createUpgrader() instanceof BcTlsUpgrader);
    }
}
