package dev.nbdref.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * TLS credentials and client policy as configured. With both X.509 and PSK configured the server offers both
 * and the client's offer decides: a TLS 1.3 client that offers a known PSK identity gets PSK, any other gets the
 * certificate; in TLS 1.2 the cipher suite the client picks decides.
 *
 * @param x509Dir    a directory in qemu/nbdkit layout (ca-cert.pem, server-cert.pem, server-key.pem), or null
 * @param pskFile    a keys file of {@code identity:hexkey} lines, or null
 * @param verifyPeer require a client certificate signed by x509Dir/ca-cert.pem (PSK clients are authenticated
 *                   by their key instead)
 * @param authzDns   if not empty, the only client certificate subjects allowed (implies verifyPeer)
 */
public record TlsSettings(Path x509Dir, Path pskFile, boolean verifyPeer, List<String> authzDns) {

    public TlsSettings {
        authzDns = authzDns == null ? List.of() : List.copyOf(authzDns);
    }

    /**
     * Loads and checks every file once, so a missing or bad file stops the server at startup with its name
     * rather than failing each handshake.
     */
    public TlsUpgrader createUpgrader() throws IOException {
        if (x509Dir == null && pskFile == null) {
            throw new IOException("TLS needs an X.509 directory (--tls-x509) or a PSK keys file (--tls-psk)");
        }
        boolean verify = verifyPeer || !authzDns.isEmpty();
        if (verify && x509Dir == null) {
            throw new IOException("verifying client certificates needs an X.509 directory with ca-cert.pem (--tls-x509)");
        }
        X509Credentials x509 = x509Dir == null ? null : X509Credentials.load(x509Dir, verify);
        PskKeys psk = pskFile == null ? null : PskKeys.load(pskFile);
        ClientCertVerifier verifier = verify ? new ClientCertVerifier(x509.authorities(), authzDns) : null;
        return new BcTlsUpgrader(x509, psk, verifier, BcTlsUpgrader.HANDSHAKE_BUDGET);
    }
}
