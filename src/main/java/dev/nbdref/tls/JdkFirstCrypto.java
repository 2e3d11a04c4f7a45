package dev.nbdref.tls;

import org.bouncycastle.jcajce.util.DefaultJcaJceHelper;
import org.bouncycastle.jcajce.util.JcaJceHelper;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCryptoProvider;

import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Signature;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.NoSuchPaddingException;

/**
 * BouncyCastle TLS crypto over the JDK's providers (AES-GCM with AES-NI, about 1 GiB/s here; BC's pure-Java
 * engine managed under 100 MiB/s), with gaps filled from BC's own provider: BC's TLS code asks for algorithm
 * names only that provider knows. RSA-PSS signatures ("SHA256withRSAandMGF1"; the JDK calls it "RSASSA-PSS"),
 * which TLS 1.3 requires of every RSA certificate, and ChaCha20-Poly1305 ("ChaCha7539" and "Poly1305", which
 * the JDK has only as one combined cipher). Everything the JDK has stays with the JDK, and nothing is
 * registered globally.
 */
final class JdkFirstCrypto {

    private JdkFirstCrypto() {
    }

    static JcaTlsCrypto create() {
        JcaJceHelper helper = new FallbackHelper(new BouncyCastleProvider());
        return new JcaTlsCryptoProvider() {
            @Override
            public JcaJceHelper getHelper() {
                return helper;
            }
        }.create(new SecureRandom());
    }

    /** The JDK's default providers, except for names none of them knows. */
    private static final class FallbackHelper extends DefaultJcaJceHelper {
        private final Provider fallback;

        FallbackHelper(Provider fallback) {
            this.fallback = fallback;
        }

        @Override
        public Signature createSignature(String algorithm) throws NoSuchAlgorithmException {
            try {
                return super.createSignature(algorithm);
            } catch (NoSuchAlgorithmException e) {
                return Signature.getInstance(algorithm, fallback);
            }
        }

        @Override
        public Cipher createCipher(String algorithm) throws NoSuchAlgorithmException, NoSuchPaddingException {
            try {
                return super.createCipher(algorithm);
            } catch (NoSuchAlgorithmException e) {
                return Cipher.getInstance(algorithm, fallback);
            }
        }

        @Override
        public Mac createMac(String algorithm) throws NoSuchAlgorithmException {
            try {
                return super.createMac(algorithm);
            } catch (NoSuchAlgorithmException e) {
                return Mac.getInstance(algorithm, fallback);
            }
        }
    }
}
