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

/**
 * BouncyCastle TLS crypto over the JDK's providers (AES-GCM with AES-NI, about 1 GiB/s here; BC's pure-Java
 * engine managed under 100 MiB/s), with one gap filled: BC's TLS code asks for RSA-PSS signatures as
 * "SHA256withRSAandMGF1" or "SHA256withRSASSA-PSS", names only BC's own provider knows (the JDK calls it
 * "RSASSA-PSS"), and TLS 1.3 needs RSA-PSS for every RSA certificate. So signatures the JDK cannot make come
 * from BC's provider; everything else stays with the JDK. Nothing is registered globally.
 */
final class JdkFirstCrypto {

    private JdkFirstCrypto() {
    }

    static JcaTlsCrypto create() {
        JcaJceHelper helper = new SignatureFallbackHelper(new BouncyCastleProvider());
        return new JcaTlsCryptoProvider() {
            @Override
            public JcaJceHelper getHelper() {
                return helper;
            }
        }.create(new SecureRandom());
    }

    /** The JDK's default providers, except for signature names none of them knows. */
    private static final class SignatureFallbackHelper extends DefaultJcaJceHelper {
        private final Provider fallback;

        SignatureFallbackHelper(Provider fallback) {
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
    }
}
