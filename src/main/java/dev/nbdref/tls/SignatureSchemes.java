package dev.nbdref.tls;

import org.bouncycastle.tls.HashAlgorithm;
import org.bouncycastle.tls.SignatureAlgorithm;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsUtils;

import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Vector;

/**
 * Picks the algorithm the server signs its handshake with, from those the client listed (its order of
 * preference) and those the server's key can make. BouncyCastle leaves this choice to the server.
 */
final class SignatureSchemes {

    private SignatureSchemes() {
    }

    /**
     * @param clientSigAlgs the client's signature_algorithms, or null when it sent none (TLS 1.2 only)
     * @return the algorithm, or null when the client accepts none the key can make
     */
    static SignatureAndHashAlgorithm choose(PrivateKey key, Vector<?> clientSigAlgs, boolean tls13) {
        if (clientSigAlgs == null) {
            // RFC 5246 7.4.1.4.1: without the extension, a TLS 1.2 client accepts SHA-1 with the key's algorithm.
            return tls13 ? null : TlsUtils.getDefaultSignatureAlgorithm(
                    key instanceof RSAPrivateKey ? SignatureAlgorithm.rsa : SignatureAlgorithm.ecdsa);
        }
        List<SignatureAndHashAlgorithm> possible = possible(key, tls13);
        for (Object offered : clientSigAlgs) {
            if (possible.contains(offered)) return (SignatureAndHashAlgorithm) offered;
        }
        return null;
    }

    private static List<SignatureAndHashAlgorithm> possible(PrivateKey key, boolean tls13) {
        List<SignatureAndHashAlgorithm> out = new ArrayList<>();
        if (key instanceof RSAPrivateKey) {
            out.add(SignatureAndHashAlgorithm.rsa_pss_rsae_sha256);
            out.add(SignatureAndHashAlgorithm.rsa_pss_rsae_sha384);
            out.add(SignatureAndHashAlgorithm.rsa_pss_rsae_sha512);
            if (!tls13) { // RFC 8446 4.2.3: PKCS#1 v1.5 signatures are not allowed in TLS 1.3 handshakes
                out.add(SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha256, SignatureAlgorithm.rsa));
                out.add(SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha384, SignatureAlgorithm.rsa));
                out.add(SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha512, SignatureAlgorithm.rsa));
            }
        } else if (key instanceof ECPrivateKey) {
            if (tls13) { // RFC 8446 4.2.3: each ECDSA scheme names its curve, so only the key's own curve fits
                out.add(SignatureAndHashAlgorithm.getInstance(hashForCurve((ECPrivateKey) key), SignatureAlgorithm.ecdsa));
            } else {
                out.add(SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));
                out.add(SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha384, SignatureAlgorithm.ecdsa));
                out.add(SignatureAndHashAlgorithm.getInstance(HashAlgorithm.sha512, SignatureAlgorithm.ecdsa));
            }
        }
        return out;
    }

    /** secp256r1 → SHA-256, secp384r1 → SHA-384, secp521r1 → SHA-512 (the TLS 1.3 ecdsa_* schemes). */
    private static short hashForCurve(ECPrivateKey key) {
        int bits = key.getParams().getCurve().getField().getFieldSize();
        return bits <= 256 ? HashAlgorithm.sha256 : bits <= 384 ? HashAlgorithm.sha384 : HashAlgorithm.sha512;
    }
}
