package dev.nbdref.tls;

import org.bouncycastle.tls.AbstractTlsServer;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.AlertLevel;
import org.bouncycastle.tls.BasicTlsPSKExternal;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateEntry;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.ClientCertificateType;
import org.bouncycastle.tls.KeyExchangeAlgorithm;
import org.bouncycastle.tls.PRFAlgorithm;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.PskIdentity;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsPSKExternal;
import org.bouncycastle.tls.TlsPSKIdentityManager;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCertificate;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCertificate;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Vector;

/**
 * BouncyCastle's view of nbdref as a TLS server, for one handshake (BC keeps per-connection state in it).
 *
 * <p>X.509 and PSK coexist: in TLS 1.3 a client that offers an identity from the keys file gets PSK
 * (BC skips the certificate messages), any other client gets the certificate; in TLS 1.2 the cipher suite the
 * client picks decides (ECDHE/DHE with RSA or ECDSA, or DHE-PSK/ECDHE-PSK). A PSK client is authenticated by its
 * key, so --tls-verify-peer and the authz list apply to certificate clients only.
 */
final class NbdTlsServer extends AbstractTlsServer {

    private final JcaTlsCrypto crypto;
    private final X509Credentials x509;
    private final PskKeys psk;
    private final ClientCertVerifier verifier;

    private String peerDn;
    private String pskIdentity;
    private final List<String> unknownPskIdentities = new ArrayList<>();
    private String alert;

    /**
     * @param x509     the certificate, or null for PSK only
     * @param psk      the keys, or null for X.509 only
     * @param verifier checks client certificates; null when they are not requested
     */
    NbdTlsServer(JcaTlsCrypto crypto, X509Credentials x509, PskKeys psk, ClientCertVerifier verifier) {
        super(crypto);
        this.crypto = crypto;
        this.x509 = x509;
        this.psk = psk;
        this.verifier = verifier;
    }

    String peerDn() {
        return peerDn;
    }

    String pskIdentity() {
        return pskIdentity;
    }

    ProtocolVersion negotiatedVersion() {
        return context.getServerVersion();
    }

    int negotiatedCipherSuite() {
        return context.getSecurityParametersConnection().getCipherSuite();
    }

    /** The fatal alert sent or received (with its reason when nbdref sent it), or null if there was none. */
    String alert() {
        return alert;
    }

    /** PSK identities the client offered that the keys file lacks: the usual cause of a failed PSK handshake. */
    List<String> unknownPskIdentities() {
        return unknownPskIdentities;
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() {
        return ProtocolVersion.TLSv13.downTo(ProtocolVersion.TLSv12);
    }

    @Override
    protected int[] getSupportedCipherSuites() {
        boolean rsa = x509 != null && x509.key() instanceof RSAPrivateKey;
        boolean ec = x509 != null && x509.key() instanceof ECPrivateKey;
        return TlsUtils.getSupportedCipherSuites(crypto, CipherSuites.offered(rsa, ec, psk != null));
    }

    /** The server's order wins, so AES-GCM (hardware-accelerated in the JDK) is chosen over ChaCha20 when both fit. */
    @Override
    protected boolean preferLocalCipherSuites() {
        return true;
    }

    /** TLS 1.3 PSK: the first identity the client offers that the keys file knows. */
    @Override
    @SuppressWarnings("rawtypes") // BC's signature
    public TlsPSKExternal getExternalPSK(Vector identities) {
        if (psk == null) return null;
        for (Object o : identities) {
            byte[] identity = ((PskIdentity) o).getIdentity();
            String name = new String(identity, StandardCharsets.UTF_8);
            byte[] key = psk.keyFor(name);
            if (key != null) {
                pskIdentity = name;
                return new BasicTlsPSKExternal(identity, crypto.createSecret(key), PRFAlgorithm.tls13_hkdf_sha256);
            }
            unknownPskIdentities.add(name);
        }
        return null;
    }

    /** TLS 1.2 PSK: BC asks for this once the client has picked a DHE-PSK or ECDHE-PSK suite. */
    @Override
    public TlsPSKIdentityManager getPSKIdentityManager() {
        if (psk == null) return null;
        return new TlsPSKIdentityManager() {
            @Override
            public byte[] getHint() {
                return null; // no hint: clients choose their identity from their own configuration
            }

            @Override
            public byte[] getPSK(byte[] identity) {
                String name = new String(identity, StandardCharsets.UTF_8);
                byte[] key = psk.keyFor(name); // a fresh copy: BC wipes it after use
                if (key != null) pskIdentity = name;
                else unknownPskIdentities.add(name);
                return key;
            }
        };
    }

    /** The certificate and signer; BC calls this in TLS 1.3 only when no PSK was selected. */
    @Override
    public TlsCredentials getCredentials() throws IOException {
        boolean tls13 = TlsUtils.isTLSv13(context);
        if (!tls13 && isPskKeyExchange()) return null; // the key itself authenticates the server
        if (x509 == null) {
            throw new TlsFatalAlert(AlertDescription.handshake_failure,
                    "the client offered no PSK identity this server knows, and the server has no certificate");
        }
        SignatureAndHashAlgorithm algorithm = SignatureSchemes.choose(x509.key(),
                context.getSecurityParametersHandshake().getClientSigAlgs(), tls13);
        if (algorithm == null) {
            throw new TlsFatalAlert(AlertDescription.handshake_failure,
                    "the client accepts no signature algorithm the server's " + x509.key().getAlgorithm() + " key can make");
        }
        return new JcaDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto, x509.key(),
                certificateMessage(tls13), algorithm);
    }

    /** Asks for a client certificate when peers are verified (never in a PSK handshake: TLS forbids it there). */
    @Override
    public CertificateRequest getCertificateRequest() throws IOException {
        if (verifier == null || isPskKeyExchange()) return null;
        Vector<?> sigAlgs = TlsUtils.getDefaultSupportedSignatureAlgorithms(context);
        if (TlsUtils.isTLSv13(context)) {
            return new CertificateRequest(TlsUtils.EMPTY_BYTES, sigAlgs, null, verifier.authorityNames());
        }
        short[] types = {ClientCertificateType.rsa_sign, ClientCertificateType.ecdsa_sign};
        return new CertificateRequest(types, sigAlgs, verifier.authorityNames());
    }

    /**
     * BC has already checked that the client holds the key of the certificate (CertificateVerify); this checks
     * who issued it and who it names. An empty certificate is refused: the request is a requirement here.
     */
    @Override
    public void notifyClientCertificate(Certificate clientCertificate) throws IOException {
        if (verifier == null) throw new TlsFatalAlert(AlertDescription.internal_error, "no client certificate was requested");
        if (clientCertificate == null || clientCertificate.isEmpty()) {
            short description = TlsUtils.isTLSv13(context) ? AlertDescription.certificate_required
                    : AlertDescription.handshake_failure;
            throw new TlsFatalAlert(description, "this server requires a client certificate and the client sent none");
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (TlsCertificate cert : clientCertificate.getCertificateList()) {
            chain.add(JcaTlsCertificate.convert(crypto, cert).getX509Certificate());
        }
        peerDn = verifier.verify(chain);
    }

    @Override
    public void notifyAlertRaised(short level, short description, String message, Throwable cause) {
        if (level == AlertLevel.fatal && alert == null) {
            if (cause instanceof TlsFatalAlert) { // raised here or in BC with a reason: "name(code); reason"
                Throwable why = cause.getCause();
                alert = "sent alert " + cause.getMessage() + (why != null ? " (" + why + ")" : "");
            } else { // BC's message says where it failed ("Failed to read record"); the cause says why
                alert = "sent alert " + AlertDescription.getText(description) + (message != null ? ": " + message : "")
                        + (cause != null ? " (" + cause + ")" : "");
            }
        }
    }

    @Override
    public void notifyAlertReceived(short level, short description) {
        if (level == AlertLevel.fatal && alert == null) alert = "the client sent alert " + AlertDescription.getText(description);
    }

    private boolean isPskKeyExchange() {
        int kex = context.getSecurityParametersHandshake().getKeyExchangeAlgorithm();
        return kex == KeyExchangeAlgorithm.DHE_PSK || kex == KeyExchangeAlgorithm.ECDHE_PSK;
    }

    /** TLS 1.3 wraps each certificate in an entry and adds a (here empty) request context; TLS 1.2 does not. */
    private Certificate certificateMessage(boolean tls13) {
        List<X509Certificate> chain = x509.chain();
        if (tls13) {
            CertificateEntry[] entries = new CertificateEntry[chain.size()];
            for (int i = 0; i < entries.length; i++) entries[i] = new CertificateEntry(new JcaTlsCertificate(crypto, chain.get(i)), null);
            return new Certificate(TlsUtils.EMPTY_BYTES, entries);
        }
        TlsCertificate[] certs = new TlsCertificate[chain.size()];
        for (int i = 0; i < certs.length; i++) certs[i] = new JcaTlsCertificate(crypto, chain.get(i));
        return new Certificate(certs);
    }
}
