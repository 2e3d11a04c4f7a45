package dev.nbdref.tls;

import org.bouncycastle.tls.AbstractTlsClient;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.BasicTlsPSKExternal;
import org.bouncycastle.tls.BasicTlsPSKIdentity;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateEntry;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.NamedGroup;
import org.bouncycastle.tls.PRFAlgorithm;
import org.bouncycastle.tls.PSKTlsClient;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClient;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsPSK;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCertificate;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Vector;

/**
 * TLS clients built on BouncyCastle's TlsClientProtocol, standing in for qemu and libnbd in unit tests. They
 * offer what real clients offer (TLS 1.3 and 1.2, AEAD suites) and can be restricted to one version or suite,
 * and the X.509 client checks the server's certificate against the CA like a real client would.
 */
final class TestClients {

    private TestClients() {
    }

    static JcaTlsCrypto crypto() {
        return JdkFirstCrypto.create();
    }

    /**
     * @param ca        the CA the server's certificate must be signed by
     * @param clientPki the client certificate and key to present when asked, or null for none
     * @param version   TLSv13 or TLSv12 only, or null for both
     */
    static TlsClient x509(X509Certificate ca, TestPki.ClientCredentials clientPki, ProtocolVersion version) {
        JcaTlsCrypto crypto = crypto();
        return new DefaultTlsClient(crypto) {
            @Override
            protected ProtocolVersion[] getSupportedVersions() {
                return version != null ? version.only() : ProtocolVersion.TLSv13.downTo(ProtocolVersion.TLSv12);
            }

            @Override
            public TlsAuthentication getAuthentication() {
                return new TlsAuthentication() {
                    @Override
                    public void notifyServerCertificate(TlsServerCertificate server) throws IOException {
                        TlsCertificate leaf = server.getCertificate().getCertificateAt(0);
                        X509Certificate cert = JcaTlsCertificate.convert(crypto, leaf).getX509Certificate();
                        try {
                            cert.verify(ca.getPublicKey());
                        } catch (GeneralSecurityException e) {
                            throw new TlsFatalAlert(AlertDescription.bad_certificate, "server certificate not from the CA", e);
                        }
                    }

                    @Override
                    public TlsCredentials getClientCredentials(CertificateRequest request) throws IOException {
                        if (clientPki == null) return null;
                        boolean tls13 = TlsUtils.isTLSv13(context);
                        SignatureAndHashAlgorithm algorithm = SignatureSchemes.choose(clientPki.key(),
                                request.getSupportedSignatureAlgorithms(), tls13);
                        TlsCertificate cert = new JcaTlsCertificate(crypto, clientPki.cert());
                        Certificate chain = tls13
                                ? new Certificate(request.getCertificateRequestContext(), new CertificateEntry[]{new CertificateEntry(cert, null)})
                                : new Certificate(new TlsCertificate[]{cert});
                        return new JcaDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto,
                                clientPki.key(), chain, algorithm);
                    }
                };
            }
        };
    }

    /** TLS 1.2 PSK (the suites are e.g. DHE-PSK or ECDHE-PSK ones). */
    static TlsClient psk12(String identity, byte[] key, int... suites) {
        JcaTlsCrypto crypto = crypto();
        return new PSKTlsClient(crypto, new BasicTlsPSKIdentity(identity, key.clone())) {
            @Override
            protected ProtocolVersion[] getSupportedVersions() {
                return ProtocolVersion.TLSv12.only();
            }

            @Override
            protected int[] getSupportedCipherSuites() {
                return TlsUtils.getSupportedCipherSuites(crypto, suites);
            }

            /** As GnuTLS does when DHE-PSK is enabled: finite-field groups too, so the server may choose DHE. */
            @Override
            @SuppressWarnings({"rawtypes", "unchecked"})
            protected Vector getSupportedGroups(Vector roles) {
                Vector groups = new Vector();
                groups.add(NamedGroup.x25519);
                groups.add(NamedGroup.secp256r1);
                groups.add(NamedGroup.ffdhe2048);
                return groups;
            }
        };
    }

    /** TLS 1.3 with an external PSK bound to SHA-256, as GnuTLS clients make it; it refuses certificate authentication. */
    static TlsClient psk13(String identity, byte[] key, int... suites) {
        JcaTlsCrypto crypto = crypto();
        return new AbstractTlsClient(crypto) {
            @Override
            protected ProtocolVersion[] getSupportedVersions() {
                return ProtocolVersion.TLSv13.only();
            }

            @Override
            protected int[] getSupportedCipherSuites() {
                return TlsUtils.getSupportedCipherSuites(crypto, suites);
            }

            @Override
            @SuppressWarnings("rawtypes")
            public Vector getExternalPSKs() {
                return TlsUtils.vectorOfOne(new BasicTlsPSKExternal(identity.getBytes(StandardCharsets.UTF_8),
                        crypto.createSecret(key.clone()), PRFAlgorithm.tls13_hkdf_sha256));
            }

            @Override
            public void notifySelectedPSK(TlsPSK selected) throws IOException {
                if (selected == null) throw new TlsFatalAlert(AlertDescription.handshake_failure, "the server did not take the PSK");
            }

            @Override
            public TlsAuthentication getAuthentication() throws IOException {
                throw new TlsFatalAlert(AlertDescription.handshake_failure, "a PSK client expects no certificate");
            }
        };
    }
}
