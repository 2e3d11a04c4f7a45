package dev.nbdref.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.TlsFatalAlert;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Vector;
import javax.security.auth.x500.X500Principal;

/**
 * Decides whether a client's certificate chain is acceptable (qemu's verify-peer plus tls-authz): it must lead
 * to a CA of ca-cert.pem (the JDK's PKIX validator, revocation not checked, as qemu and nbdkit do not either),
 * be meant for TLS clients when it says what it is meant for, and, when an authorization list is given, name an
 * allowed subject. DNs are compared in RFC 2253 canonical form, so "cn=Client, o=X" matches "CN=client,O=X".
 */
final class ClientCertVerifier {
    private static final String CLIENT_AUTH_EKU = "1.3.6.1.5.5.7.3.2";
    private static final String ANY_EKU = "2.5.29.37.0";

    private final List<X509Certificate> authorities;
    private final Set<TrustAnchor> anchors = new HashSet<>();
    /** canonical DN → the DN as configured; empty means any subject the CA vouches for */
    private final Map<String, String> allowed = new LinkedHashMap<>();

    ClientCertVerifier(List<X509Certificate> authorities, List<String> authzDns) throws IOException {
        if (authorities.isEmpty()) throw new IOException("verifying client certificates needs at least one CA certificate");
        this.authorities = List.copyOf(authorities);
        for (X509Certificate ca : authorities) anchors.add(new TrustAnchor(ca, null));
        for (String dn : authzDns) {
            try {
                allowed.put(canonical(new X500Principal(dn)), dn);
            } catch (IllegalArgumentException e) {
                throw new IOException("TLS authz entry \"" + dn + "\" is not a distinguished name (e.g. CN=client,O=Example): "
                        + e.getMessage(), e);
            }
        }
    }

    /** The CA names sent in the CertificateRequest, so a client holding several certificates can pick the right one. */
    Vector<X500Name> authorityNames() {
        Vector<X500Name> names = new Vector<>();
        for (X509Certificate ca : authorities) names.add(X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()));
        return names;
    }

    /**
     * @param chain the client's certificate first, as TLS sends it
     * @return the client's subject DN (RFC 2253)
     * @throws TlsFatalAlert with the alert to send and the reason, when the chain is not acceptable
     */
    String verify(List<X509Certificate> chain) throws TlsFatalAlert {
        X509Certificate leaf = chain.get(0);
        String dn = leaf.getSubjectX500Principal().getName(X500Principal.RFC2253);
        validatePath(chain, dn);
        requireClientPurpose(leaf, dn);
        if (!allowed.isEmpty() && !allowed.containsKey(canonical(leaf.getSubjectX500Principal()))) {
            throw new TlsFatalAlert(AlertDescription.access_denied,
                    "client certificate subject \"" + dn + "\" is not in the authorization list " + allowed.values());
        }
        return dn;
    }

    private void validatePath(List<X509Certificate> chain, String dn) throws TlsFatalAlert {
        List<X509Certificate> path = new ArrayList<>();
        for (X509Certificate cert : chain) {
            if (!authorities.contains(cert)) path.add(cert); // PKIX wants the path without its trust anchor
        }
        if (path.isEmpty()) {
            throw new TlsFatalAlert(AlertDescription.bad_certificate, "the client presented the CA certificate itself");
        }
        try {
            CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(certPath, params);
        } catch (CertPathValidatorException e) {
            throw new TlsFatalAlert(alertFor(e), "client certificate \"" + dn + "\" rejected: " + e.getMessage());
        } catch (InvalidAlgorithmParameterException e) {
            throw new IllegalStateException("the trust anchors were checked at startup", e);
        } catch (GeneralSecurityException e) {
            throw new TlsFatalAlert(AlertDescription.bad_certificate, "client certificate \"" + dn + "\" unusable: " + e, e);
        }
    }

    private static short alertFor(CertPathValidatorException e) {
        if (e.getReason() == PKIXReason.NO_TRUST_ANCHOR) return AlertDescription.unknown_ca;
        if (e.getReason() == CertPathValidatorException.BasicReason.EXPIRED) return AlertDescription.certificate_expired;
        if (e.getReason() == CertPathValidatorException.BasicReason.INVALID_SIGNATURE) return AlertDescription.unknown_ca;
        return AlertDescription.bad_certificate;
    }

    private static void requireClientPurpose(X509Certificate leaf, String dn) throws TlsFatalAlert {
        try {
            List<String> eku = leaf.getExtendedKeyUsage();
            if (eku != null && !eku.contains(CLIENT_AUTH_EKU) && !eku.contains(ANY_EKU)) {
                throw new TlsFatalAlert(AlertDescription.unsupported_certificate,
                        "client certificate \"" + dn + "\" is not meant for TLS clients (no clientAuth extended key usage)");
            }
        } catch (CertificateParsingException e) {
            throw new TlsFatalAlert(AlertDescription.bad_certificate, "client certificate \"" + dn + "\": " + e.getMessage(), e);
        }
    }

    private static String canonical(X500Principal principal) {
        return principal.getName(X500Principal.CANONICAL);
    }
}
