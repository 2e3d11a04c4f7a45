package dev.nbdref.tls;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.util.List;

/**
 * The server's X.509 credentials, from a directory laid out as qemu-nbd and nbdkit expect: {@code ca-cert.pem}
 * (the CA that signs client certificates; a bundle may hold several), {@code server-cert.pem} (the server's
 * certificate, optionally followed by intermediates) and {@code server-key.pem}. Everything is checked once at
 * startup so that a bad file is reported by name instead of failing every handshake later.
 */
final class X509Credentials {
    static final String CA_CERT = "ca-cert.pem";
    static final String SERVER_CERT = "server-cert.pem";
    static final String SERVER_KEY = "server-key.pem";
    private static final String SERVER_AUTH_EKU = "1.3.6.1.5.5.7.3.1";
    private static final String ANY_EKU = "2.5.29.37.0";
    private static final Logger log = LoggerFactory.getLogger(X509Credentials.class);

    private final List<X509Certificate> chain;
    private final PrivateKey key;
    private final List<X509Certificate> authorities;

    private X509Credentials(List<X509Certificate> chain, PrivateKey key, List<X509Certificate> authorities) {
        this.chain = List.copyOf(chain);
        this.key = key;
        this.authorities = List.copyOf(authorities);
    }

    /** @param needCa client certificates will be verified, so ca-cert.pem must exist */
    static X509Credentials load(Path dir, boolean needCa) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("TLS certificate directory " + dir + (Files.exists(dir) ? " is not a directory"
                    : " does not exist") + " (expected " + CA_CERT + ", " + SERVER_CERT + ", " + SERVER_KEY + ")");
        }
        List<X509Certificate> chain = PemFiles.readCertificates(dir.resolve(SERVER_CERT));
        PrivateKey key = PemFiles.readPrivateKey(dir.resolve(SERVER_KEY));
        if (!(key instanceof RSAPrivateKey) && !(key instanceof ECPrivateKey)) {
            throw new IOException(dir.resolve(SERVER_KEY) + " holds a " + key.getAlgorithm()
                    + " key; nbdref serves RSA and EC (ECDSA) keys");
        }
        requireMatch(chain.get(0), key, dir);
        Path caFile = dir.resolve(CA_CERT);
        if (needCa && !Files.exists(caFile)) {
            throw new IOException(caFile + " does not exist: verifying client certificates needs the CA that signs them");
        }
        List<X509Certificate> authorities = Files.exists(caFile) ? PemFiles.readCertificates(caFile) : List.of();
        X509Credentials creds = new X509Credentials(chain, key, authorities);
        creds.warnAboutDoubtfulServerCertificate(dir);
        return creds;
    }

    List<X509Certificate> chain() {
        return chain;
    }

    PrivateKey key() {
        return key;
    }

    /** The CA certificates of ca-cert.pem; empty if the file is absent. */
    List<X509Certificate> authorities() {
        return authorities;
    }

    /** A mismatched key would only show as failed handshakes with a vague alert; a test signature finds it now. */
    private static void requireMatch(X509Certificate cert, PrivateKey key, Path dir) throws IOException {
        String algorithm = key instanceof RSAPrivateKey ? "SHA256withRSA" : "SHA256withECDSA";
        byte[] probe = "nbdref key check".getBytes(StandardCharsets.US_ASCII);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            if (verifier.verify(signature)) return;
        } catch (GeneralSecurityException e) {
            // The key types differ (e.g. an RSA key for an EC certificate): a mismatch as well.
        }
        throw new IOException(dir.resolve(SERVER_KEY) + " is not the private key of the certificate in "
                + dir.resolve(SERVER_CERT) + " (" + cert.getSubjectX500Principal().getName() + ")");
    }

    /** Problems that clients will notice, reported at startup; they are warnings because a client may not care. */
    private void warnAboutDoubtfulServerCertificate(Path dir) {
        X509Certificate leaf = chain.get(0);
        String name = dir.resolve(SERVER_CERT).toString();
        try {
            leaf.checkValidity();
        } catch (CertificateExpiredException e) {
            log.warn("{} expired on {}; clients will reject it", name, leaf.getNotAfter());
        } catch (CertificateNotYetValidException e) {
            log.warn("{} is not valid before {}; clients will reject it", name, leaf.getNotBefore());
        }
        try {
            List<String> eku = leaf.getExtendedKeyUsage();
            if (eku != null && !eku.contains(SERVER_AUTH_EKU) && !eku.contains(ANY_EKU)) {
                log.warn("{} is not meant for TLS servers (no serverAuth extended key usage); clients may reject it", name);
            }
        } catch (CertificateParsingException e) {
            log.warn("{} has an unreadable extended key usage extension: {}", name, e.getMessage());
        }
        if (!authorities.isEmpty() && !issuedByAuthority(chain.get(chain.size() - 1))) {
            log.warn("{} is not signed by a CA in {}; clients that trust that CA will reject it",
                    name, dir.resolve(CA_CERT));
        }
    }

    private boolean issuedByAuthority(X509Certificate cert) {
        for (X509Certificate ca : authorities) {
            try {
                cert.verify(ca.getPublicKey());
                return true;
            } catch (GeneralSecurityException e) {
                // not this CA; try the next
            }
        }
        return false;
    }
}
