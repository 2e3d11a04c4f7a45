package dev.nbdref.tls;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.EncryptedPrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.EncryptionScheme;
import org.bouncycastle.asn1.pkcs.KeyDerivationFunc;
import org.bouncycastle.asn1.pkcs.PBES2Parameters;
import org.bouncycastle.asn1.pkcs.PBKDF2Params;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Credentials are checked once, at startup, and every error names the file at fault. */
class TlsSettingsTest {

    @TempDir
    static Path shared;
    static TestPki rsa;
    static TestPki ec;
    static TestPki other;

    @TempDir
    Path tmp;

    @BeforeAll
    static void makePkis() throws Exception {
        rsa = TestPki.create(shared.resolve("rsa"), PkiGenerator.KeyType.RSA);
        ec = TestPki.create(shared.resolve("ec"), PkiGenerator.KeyType.EC);
        other = TestPki.create(shared.resolve("other"), PkiGenerator.KeyType.RSA);
    }

    /** A copy of the PKI's server files, to be damaged by the test. */
    private Path copyOf(TestPki pki) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("copy"));
        for (String name : List.of("ca-cert.pem", "server-cert.pem", "server-key.pem")) {
            Files.copy(pki.dir().resolve(name), dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
        return dir;
    }

    private static void assertLoadError(TlsSettings settings, String... expected) {
        IOException e = assertThrows(IOException.class, settings::createUpgrader);
        for (String part : expected) {
            assertTrue(e.getMessage().contains(part), "expected \"" + part + "\" in: " + e.getMessage());
        }
    }

    private static TlsSettings x509(Path dir, boolean verify) {
        return new TlsSettings(dir, null, verify, List.of());
    }

    @Test
    void generatedCredentialsLoad() throws IOException {
        assertNotNull(x509(rsa.dir(), true).createUpgrader());
        assertNotNull(x509(ec.dir(), true).createUpgrader());
        assertNotNull(new TlsSettings(null, rsa.pskFile(), false, List.of()).createUpgrader());
        assertNotNull(new TlsSettings(rsa.dir(), rsa.pskFile(), false, List.of("CN=client")).createUpgrader());
    }

    @Test
    void somethingMustBeConfigured() {
        assertLoadError(new TlsSettings(null, null, false, List.of()), "--tls-x509", "--tls-psk");
        assertLoadError(new TlsSettings(null, rsa.pskFile(), true, List.of()), "ca-cert.pem");
        assertLoadError(new TlsSettings(null, rsa.pskFile(), false, List.of("CN=client")), "ca-cert.pem");
    }

    @Test
    void missingDirectoryAndFilesAreNamed() throws IOException {
        Path nowhere = tmp.resolve("nowhere");
        assertLoadError(x509(nowhere, false), nowhere.toString(), "does not exist");
        Path dir = copyOf(rsa);
        Files.delete(dir.resolve("server-key.pem"));
        assertLoadError(x509(dir, false), dir.resolve("server-key.pem").toString(), "does not exist");
        Files.delete(dir.resolve("server-cert.pem"));
        assertLoadError(x509(dir, false), dir.resolve("server-cert.pem").toString(), "does not exist");
    }

    @Test
    void caCertificateIsNeededOnlyToVerifyClients() throws IOException {
        Path dir = copyOf(rsa);
        Files.delete(dir.resolve("ca-cert.pem"));
        assertNotNull(x509(dir, false).createUpgrader());
        assertLoadError(x509(dir, true), dir.resolve("ca-cert.pem").toString(), "does not exist");
    }

    @Test
    void badPemIsReportedWithItsFile() throws IOException {
        Path dir = copyOf(rsa);
        Files.writeString(dir.resolve("server-cert.pem"), "this is not a certificate\n");
        assertLoadError(x509(dir, false), "server-cert.pem", "contains no PEM certificate");
        Files.writeString(dir.resolve("server-cert.pem"), "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
        assertLoadError(x509(dir, false), "server-cert.pem", "not a valid PEM file");
        Files.copy(rsa.dir().resolve("server-cert.pem"), dir.resolve("server-cert.pem"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(rsa.dir().resolve("server-cert.pem"), dir.resolve("server-key.pem"), StandardCopyOption.REPLACE_EXISTING);
        assertLoadError(x509(dir, false), "server-key.pem", "contains no PEM private key");
        Files.copy(rsa.dir().resolve("server-key.pem"), dir.resolve("server-key.pem"), StandardCopyOption.REPLACE_EXISTING);
        Files.write(dir.resolve("ca-cert.pem"), new byte[]{0x30, (byte) 0x82, 0x01, 0x00, 0x7f, (byte) 0xff});
        assertLoadError(x509(dir, true), "ca-cert.pem");
    }

    @Test
    void aKeyThatDoesNotMatchTheCertificateIsRefused() throws IOException {
        Path dir = copyOf(rsa);
        Files.copy(other.dir().resolve("server-key.pem"), dir.resolve("server-key.pem"), StandardCopyOption.REPLACE_EXISTING);
        assertLoadError(x509(dir, false), "server-key.pem", "is not the private key of the certificate");
        Files.copy(ec.dir().resolve("server-key.pem"), dir.resolve("server-key.pem"), StandardCopyOption.REPLACE_EXISTING);
        assertLoadError(x509(dir, false), "is not the private key of the certificate");
    }

    @Test
    void pkcs1AndSec1KeysAreReadAsWellAsPkcs8() throws IOException {
        // openssl genrsa writes "RSA PRIVATE KEY"; openssl ecparam -genkey writes "EC PARAMETERS" + "EC PRIVATE KEY"
        Path rsaDir = copyOf(rsa);
        Files.writeString(rsaDir.resolve("server-key.pem"), PemFiles.pem("RSA PRIVATE KEY", innerKey(rsa)));
        assertNotNull(x509(rsaDir, true).createUpgrader());
        Path ecDir = Files.createDirectories(tmp.resolve("ec"));
        for (String name : List.of("ca-cert.pem", "server-cert.pem")) Files.copy(ec.dir().resolve(name), ecDir.resolve(name));
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(pkcs8(ec));
        ASN1Encodable curve = info.getPrivateKeyAlgorithm().getParameters();
        ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
        byte[] sec1 = new ECPrivateKey(256, inner.getKey(), inner.getPublicKey(), curve).getEncoded();
        Files.writeString(ecDir.resolve("server-key.pem"),
                PemFiles.pem("EC PARAMETERS", curve.toASN1Primitive().getEncoded()) + PemFiles.pem("EC PRIVATE KEY", sec1));
        assertNotNull(x509(ecDir, true).createUpgrader());
    }

    @Test
    void encryptedKeysAreRefusedWithAReason() throws IOException {
        Path dir = copyOf(rsa);
        Files.writeString(dir.resolve("server-key.pem"), PemFiles.pem("ENCRYPTED PRIVATE KEY", encryptedKeyInfo()));
        assertLoadError(x509(dir, false), "server-key.pem", "encrypted");
    }

    @Test
    void badPskFileStopsStartup() throws IOException {
        Path psk = tmp.resolve("keys.psk");
        Files.writeString(psk, "alice:0011\nbob 0011\n");
        assertLoadError(new TlsSettings(null, psk, false, List.of()), psk.toString(), "line 2");
    }

    @Test
    void authzEntriesMustBeDistinguishedNames() {
        assertLoadError(new TlsSettings(rsa.dir(), null, true, List.of("CN=ok", "not a dn")), "not a dn", "distinguished name");
    }

    private static byte[] pkcs8(TestPki pki) throws IOException {
        return PemFiles.readPrivateKey(pki.dir().resolve("server-key.pem")).getEncoded();
    }

    /** The PKCS#1 RSAPrivateKey inside the PKCS#8 wrapper. */
    private static byte[] innerKey(TestPki pki) throws IOException {
        return PrivateKeyInfo.getInstance(pkcs8(pki)).parsePrivateKey().toASN1Primitive().getEncoded();
    }

    /** A syntactically valid PKCS#8 EncryptedPrivateKeyInfo (PBES2 with made-up parameters and ciphertext). */
    private static byte[] encryptedKeyInfo() throws IOException {
        PBES2Parameters params = new PBES2Parameters(
                new KeyDerivationFunc(PKCSObjectIdentifiers.id_PBKDF2, new PBKDF2Params(new byte[8], 2048)),
                new EncryptionScheme(NISTObjectIdentifiers.id_aes128_CBC, new DEROctetString(new byte[16])));
        return new EncryptedPrivateKeyInfo(new AlgorithmIdentifier(PKCSObjectIdentifiers.id_PBES2, params), new byte[64])
                .getEncoded();
    }
}
