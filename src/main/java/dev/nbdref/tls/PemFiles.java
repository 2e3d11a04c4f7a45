package dev.nbdref.tls;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads and writes the PEM files of an X.509 credentials directory. Every error names the file, because the
 * usual mistake is a wrong path or a file of the wrong kind, and a bare parser message does not say which.
 */
public final class PemFiles {

    /** Private keys and PSKs: readable by the owner only, as qemu, nbdkit and ssh expect of secrets. */
    public static final Set<PosixFilePermission> SECRET = PosixFilePermissions.fromString("rw-------");
    public static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");

    private PemFiles() {
    }

    /** All certificates in the file, in order (a chain or a CA bundle); at least one. */
    public static List<X509Certificate> readCertificates(Path file) throws IOException {
        List<X509Certificate> certs = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try {
            for (Object o : readObjects(file)) {
                if (o instanceof X509CertificateHolder) certs.add(converter.getCertificate((X509CertificateHolder) o));
            }
        } catch (CertificateException e) {
            throw new IOException(file + " holds a certificate Java cannot use: " + e.getMessage(), e);
        }
        if (certs.isEmpty()) throw new IOException(file + " contains no PEM certificate (BEGIN CERTIFICATE)");
        return certs;
    }

    /** The first private key in the file: PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or SEC1 ("EC PRIVATE KEY"). */
    public static PrivateKey readPrivateKey(Path file) throws IOException {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        for (Object o : readObjects(file)) {
            try {
                if (o instanceof PrivateKeyInfo) return converter.getPrivateKey((PrivateKeyInfo) o);
                if (o instanceof PEMKeyPair) return converter.getKeyPair((PEMKeyPair) o).getPrivate();
            } catch (IOException e) {
                throw new IOException(file + " holds a private key Java cannot use: " + e.getMessage(), e);
            }
            if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
                throw new IOException(file + " holds an encrypted private key; nbdref needs it unencrypted"
                        + " (as qemu-nbd and nbdkit do)");
            }
            // Anything else (e.g. the "EC PARAMETERS" block openssl ecparam writes first) is skipped.
        }
        throw new IOException(file + " contains no PEM private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
    }

    /** Every PEM object in the file, parsed by bcpkix. */
    private static List<Object> readObjects(Path file) throws IOException {
        Reader reader;
        try { // ISO-8859-1 maps every byte, so a binary (DER) file reads as "no PEM" rather than a charset error
            reader = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new IOException(file + " does not exist");
        } catch (IOException e) {
            throw new IOException("cannot read " + file + ": " + e, e);
        }
        List<Object> objects = new ArrayList<>();
        try (PEMParser parser = new PEMParser(reader)) {
            for (Object o; (o = parser.readObject()) != null; ) objects.add(o);
        } catch (IOException | RuntimeException e) { // bcpkix reports malformed base64 or DER as either
            throw new IOException(file + " is not a valid PEM file: " + e.getMessage(), e);
        }
        return objects;
    }

    /** PEM text of one object, e.g. ("CERTIFICATE", DER bytes). */
    public static String pem(String type, byte[] der) {
        StringWriter text = new StringWriter();
        try (PemWriter writer = new PemWriter(text)) {
            writer.writeObject(new PemObject(type, der));
        } catch (IOException e) {
            throw new IllegalStateException("writing to a string cannot fail", e);
        }
        return text.toString();
    }

    /**
     * A private key as PKCS#8 PEM ("BEGIN PRIVATE KEY"), which GnuTLS, OpenSSL and nbdref all read. An EC key
     * also carries its public key, as OpenSSL writes it: the JDK's encoding leaves it out, and GnuTLS 3.7 then
     * refuses the file ("ASN1 parser: Element was not found").
     */
    public static String privateKeyPem(KeyPair keys) {
        if (!(keys.getPrivate() instanceof ECPrivateKey)) return pem("PRIVATE KEY", keys.getPrivate().getEncoded());
        SubjectPublicKeyInfo publicInfo = SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded());
        ECPrivateKey key = (ECPrivateKey) keys.getPrivate();
        int orderBits = key.getParams().getOrder().bitLength();
        org.bouncycastle.asn1.sec.ECPrivateKey inner = new org.bouncycastle.asn1.sec.ECPrivateKey(orderBits, key.getS(),
                publicInfo.getPublicKeyData(), null);
        try {
            return pem("PRIVATE KEY", new PrivateKeyInfo(publicInfo.getAlgorithm(), inner).getEncoded());
        } catch (IOException e) {
            throw new IllegalStateException("DER encoding in memory cannot fail", e);
        }
    }

    /**
     * Creates {@code file} with these permissions from the start (never world-readable for a moment, as a
     * chmod after writing would be), replacing an existing file only when {@code replace} is set.
     */
    public static void write(Path file, String text, Set<PosixFilePermission> permissions, boolean replace)
            throws IOException {
        if (replace) Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(permissions));
        } catch (UnsupportedOperationException e) { // not a POSIX file system: no permissions to set
            Files.createFile(file);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(file + " already exists (use --force to replace it)");
        }
        Files.writeString(file, text, StandardCharsets.US_ASCII);
    }
}
