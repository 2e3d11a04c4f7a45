package dev.nbdref.tls;

import org.bouncycastle.tls.CipherSuite;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cipher suites nbdref offers, in the server's order of preference: AEAD only, forward secret only, AES-GCM
 * first (the JDK runs it with AES-NI; ChaCha20 is the fallback for clients without it).
 */
final class CipherSuites {

    /**
     * TLS 1.3 suites whose hash is SHA-256. A TLS 1.3 external PSK is bound to one hash and GnuTLS clients bind
     * theirs to SHA-256, so when PSK is on, a SHA-384 suite must not be offered: BouncyCastle does not restrict
     * its choice to the PSK's hash, picked TLS_AES_256_GCM_SHA384 for libnbd and the handshake failed.
     */
    private static final int[] TLS13_SHA256 = {CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256};
    private static final int[] TLS13_SHA384 = {CipherSuite.TLS_AES_256_GCM_SHA384};
    private static final int[] TLS12_RSA = {
            CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384};
    private static final int[] TLS12_ECDSA = {
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256};
    /** GnuTLS has DHE-PSK with GCM and ECDHE-PSK only with ChaCha20 (and CBC): both kinds are needed. */
    private static final int[] TLS12_PSK = {
            CipherSuite.TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_DHE_PSK_WITH_AES_128_GCM_SHA256,
            CipherSuite.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256,
            CipherSuite.TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384, CipherSuite.TLS_DHE_PSK_WITH_AES_256_GCM_SHA384};

    private static final Map<Integer, String> NAMES = new LinkedHashMap<>();

    static {
        register(CipherSuite.TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256");
        register(CipherSuite.TLS_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384");
        register(CipherSuite.TLS_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256");
        register(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        register(CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
        register(CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
        register(CipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256");
        register(CipherSuite.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384");
        register(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
        register(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
        register(CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
        register(CipherSuite.TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256");
        register(CipherSuite.TLS_DHE_PSK_WITH_AES_128_GCM_SHA256, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256");
        register(CipherSuite.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256");
        register(CipherSuite.TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256");
        register(CipherSuite.TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384");
        register(CipherSuite.TLS_DHE_PSK_WITH_AES_256_GCM_SHA384, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384");
    }

    private CipherSuites() {
    }

    /**
     * @param rsaKey the server certificate has an RSA key
     * @param ecKey  the server certificate has an EC key
     * @param psk    a PSK keys file is configured
     */
    static int[] offered(boolean rsaKey, boolean ecKey, boolean psk) {
        List<int[]> parts = new ArrayList<>();
        parts.add(TLS13_SHA256);
        if (!psk) parts.add(TLS13_SHA384);
        if (ecKey) parts.add(TLS12_ECDSA);
        if (rsaKey) parts.add(TLS12_RSA);
        if (psk) parts.add(TLS12_PSK);
        return parts.stream().flatMapToInt(Arrays::stream).toArray();
    }

    /** The IANA name, e.g. "TLS_AES_128_GCM_SHA256". */
    static String name(int suite) {
        String name = NAMES.get(suite);
        return name != null ? name : String.format("0x%04X", suite);
    }

    private static void register(int suite, String name) {
        NAMES.put(suite, name);
    }
}
