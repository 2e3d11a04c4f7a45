package dev.nbdref.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * Makes keys and certificates with bcpkix, shaped so that GnuTLS-based peers (qemu, libnbd, nbd-client) accept
 * them: version 3, positive random serials, SHA-256 signatures, subject and authority key identifiers, and key
 * usages as qemu's credential checks want them (leaf certificates carry digitalSignature and keyEncipherment,
 * marked critical; qemu refuses a critical key usage without keyEncipherment even for EC keys).
 */
final class CertificateIssuer {

    /** Key algorithms for generated keys: RSA 2048 (what qemu's documentation uses) or ECDSA P-256. */
    enum KeyType { RSA, EC }

    /** Starts validity an hour early, so a peer whose clock is a little behind still accepts fresh certificates. */
    private static final Duration CLOCK_SKEW = Duration.ofHours(1);

    private final SecureRandom random = new SecureRandom();
    private final Instant now;
    private final Duration validity;

    /** @param now every certificate of one PKI gets the same validity period, so no leaf outlives its CA */
    CertificateIssuer(Instant now, Duration validity) {
        this.now = now;
        this.validity = validity;
    }

    KeyPair newKeyPair(KeyType type) throws IOException {
        try {
            KeyPairGenerator generator;
            if (type == KeyType.RSA) {
                generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(2048, random);
            } else {
                generator = KeyPairGenerator.getInstance("EC");
                generator.initialize(new ECGenParameterSpec("secp256r1"), random);
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot generate a " + type + " key: " + e, e);
        }
    }

    /** A self-signed CA that may sign end-entity certificates only (path length 0). */
    X509Certificate certificateAuthority(KeyPair keys, String commonName) throws IOException {
        X500Name name = cn(commonName);
        X509v3CertificateBuilder builder = builder(name, name, keys.getPublic());
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    new JcaX509ExtensionUtils().createSubjectKeyIdentifier(keys.getPublic()));
        } catch (IOException | GeneralSecurityException e) {
            throw new IOException("cannot build the CA certificate: " + e, e);
        }
        return sign(builder, keys.getPrivate());
    }

    /** A server certificate: serverAuth, with the names clients may connect by as subjectAltNames. */
    X509Certificate server(PublicKey key, String commonName, List<GeneralName> altNames, X509Certificate ca,
                           PrivateKey caKey) throws IOException {
        X509v3CertificateBuilder builder = leaf(key, commonName, ca, KeyPurposeId.id_kp_serverAuth);
        try {
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(altNames.toArray(new GeneralName[0])));
        } catch (IOException e) {
            throw new IOException("cannot build the server certificate: " + e, e);
        }
        return sign(builder, caKey);
    }

    /** A client certificate: clientAuth; its subject (CN=name) is what --tls-authz lists. */
    X509Certificate client(PublicKey key, String commonName, X509Certificate ca, PrivateKey caKey) throws IOException {
        return sign(leaf(key, commonName, ca, KeyPurposeId.id_kp_clientAuth), caKey);
    }

    static X500Name cn(String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
    }

    private X509v3CertificateBuilder leaf(PublicKey key, String commonName, X509Certificate ca, KeyPurposeId purpose)
            throws IOException {
        // The issuer is the CA's subject exactly as encoded, so chain building by name matches byte for byte.
        X500Name issuer = X500Name.getInstance(ca.getSubjectX500Principal().getEncoded());
        X509v3CertificateBuilder builder = builder(issuer, cn(commonName), key);
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(key));
            builder.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(ca.getPublicKey()));
        } catch (IOException | GeneralSecurityException e) {
            throw new IOException("cannot build the certificate for " + commonName + ": " + e, e);
        }
        return builder;
    }

    private X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, PublicKey key) {
        BigInteger serial = new BigInteger(127, random).setBit(126); // positive, non-zero, 16 bytes: as RFC 5280 asks
        return new JcaX509v3CertificateBuilder(issuer, serial, Date.from(now.minus(CLOCK_SKEW)),
                Date.from(now.plus(validity)), subject, key);
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer) throws IOException {
        String algorithm = signer instanceof RSAPrivateKey ? "SHA256withRSA" : "SHA256withECDSA";
        try {
            return new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder(algorithm).build(signer)));
        } catch (OperatorCreationException | GeneralSecurityException e) {
            throw new IOException("cannot sign a certificate with " + algorithm + ": " + e, e);
        }
    }
}
