package dev.nbdref.tls;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PkiGeneratorTest {
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    @TempDir
    Path tmp;

    private static PkiGenerator.Options options(List<String> names, List<String> clients, PkiGenerator.KeyType type,
                                                boolean force) {
        return new PkiGenerator.Options(names, clients, "client", null, type, 365, force);
    }

    private static List<String> relativeFiles(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void writesTheLayoutPeersReadWithSecretsPrivate() throws IOException {
        Path dir = tmp.resolve("pki");
        List<PkiGenerator.WrittenFile> written = PkiGenerator.init(dir, options(List.of(), List.of("alice"), PkiGenerator.KeyType.RSA, false));
        assertEquals(List.of("ca-cert.pem", "ca-key.pem", "client-cert.pem", "client-key.pem",
                "clients/alice/ca-cert.pem", "clients/alice/client-cert.pem", "clients/alice/client-key.pem",
                "keys.psk", "server-cert.pem", "server-key.pem"), relativeFiles(dir));
        assertEquals(10, written.size());
        for (String secret : List.of("ca-key.pem", "server-key.pem", "client-key.pem", "clients/alice/client-key.pem", "keys.psk")) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(secret))), secret);
        }
        assertEquals(Files.readString(dir.resolve("ca-cert.pem")), Files.readString(dir.resolve("clients/alice/ca-cert.pem")));
    }

    @Test
    void certificatesAreShapedForTlsPeers() throws Exception {
        Path dir = tmp.resolve("pki");
        PkiGenerator.init(dir, options(List.of("nbd.example.com", "192.0.2.7", "2001:db8::1"), List.of("bob"),
                PkiGenerator.KeyType.RSA, false));
        X509Certificate ca = PemFiles.readCertificates(dir.resolve("ca-cert.pem")).get(0);
        X509Certificate server = PemFiles.readCertificates(dir.resolve("server-cert.pem")).get(0);
        X509Certificate client = PemFiles.readCertificates(dir.resolve("client-cert.pem")).get(0);
        X509Certificate bob = PemFiles.readCertificates(dir.resolve("clients/bob/client-cert.pem")).get(0);

        assertTrue(ca.getBasicConstraints() >= 0, "the CA is a CA");
        assertTrue(ca.getKeyUsage()[5], "keyCertSign");
        for (X509Certificate leaf : List.of(server, client, bob)) {
            leaf.verify(ca.getPublicKey());
            leaf.checkValidity();
            assertEquals(-1, leaf.getBasicConstraints(), "not a CA");
            assertTrue(leaf.getKeyUsage()[0] && leaf.getKeyUsage()[2], "digitalSignature and keyEncipherment, as qemu checks");
            assertTrue(leaf.getSerialNumber().signum() > 0);
        }
        assertEquals("CN=nbd.example.com", server.getSubjectX500Principal().getName());
        assertEquals(List.of(SERVER_AUTH), server.getExtendedKeyUsage());
        assertEquals(new TreeSet<>(List.of("localhost", "127.0.0.1", "0:0:0:0:0:0:0:1", "nbd.example.com", "192.0.2.7",
                "2001:db8:0:0:0:0:0:1")), altNames(server));
        assertEquals("CN=client", client.getSubjectX500Principal().getName());
        assertEquals("CN=bob", bob.getSubjectX500Principal().getName());
        assertEquals(List.of(CLIENT_AUTH), client.getExtendedKeyUsage());
        assertTrue(ca.getSubjectX500Principal().getName().startsWith("CN=nbdref CA "));
    }

    @Test
    void theKeysFileAndTheKeysLoad() throws IOException {
        Path dir = tmp.resolve("pki");
        PkiGenerator.init(dir, new PkiGenerator.Options(List.of(), List.of(), "qemu", "Test CA", PkiGenerator.KeyType.EC, 1, false));
        PskKeys keys = PskKeys.load(dir.resolve("keys.psk"));
        assertEquals(Set.of("qemu"), keys.identities());
        assertEquals(32, keys.keyFor("qemu").length);
        assertInstanceOf(ECPrivateKey.class, PemFiles.readPrivateKey(dir.resolve("server-key.pem")));
        assertEquals("CN=Test CA", PemFiles.readCertificates(dir.resolve("ca-cert.pem")).get(0).getSubjectX500Principal().getName());
        assertTrue(Files.readString(dir.resolve("server-key.pem")).startsWith("-----BEGIN PRIVATE KEY-----"));
    }

    @Test
    void existingFilesAreKeptUnlessForced() throws IOException {
        Path dir = tmp.resolve("pki");
        PkiGenerator.init(dir, options(List.of(), List.of(), PkiGenerator.KeyType.EC, false));
        String before = Files.readString(dir.resolve("ca-cert.pem"));
        IOException e = assertThrows(IOException.class,
                () -> PkiGenerator.init(dir, options(List.of(), List.of(), PkiGenerator.KeyType.EC, false)));
        assertTrue(e.getMessage().contains("refusing to overwrite") && e.getMessage().contains("--force"), e.getMessage());
        assertEquals(before, Files.readString(dir.resolve("ca-cert.pem")), "nothing was touched");

        PkiGenerator.init(dir, options(List.of(), List.of(), PkiGenerator.KeyType.RSA, true));
        assertNotEquals(before, Files.readString(dir.resolve("ca-cert.pem")));
        assertInstanceOf(RSAPrivateKey.class, PemFiles.readPrivateKey(dir.resolve("server-key.pem")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("server-key.pem"))));
    }

    @Test
    void aSingleExistingFileBlocksTheWholeRun() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("pki"));
        Files.writeString(dir.resolve("keys.psk"), "mine:00\n");
        assertThrows(IOException.class, () -> PkiGenerator.init(dir, options(List.of(), List.of(), PkiGenerator.KeyType.EC, false)));
        assertEquals(List.of("keys.psk"), relativeFiles(dir));
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsWritten() {
        Path dir = tmp.resolve("pki");
        List<PkiGenerator.Options> bad = List.of(
                options(List.of("bad name"), List.of(), PkiGenerator.KeyType.EC, false),
                options(List.of(), List.of("../escape"), PkiGenerator.KeyType.EC, false),
                options(List.of(), List.of("client"), PkiGenerator.KeyType.EC, false),
                options(List.of(), List.of("bob", "bob"), PkiGenerator.KeyType.EC, false),
                new PkiGenerator.Options(List.of(), List.of(), "a:b", null, PkiGenerator.KeyType.EC, 1, false),
                new PkiGenerator.Options(List.of(), List.of(), "", null, PkiGenerator.KeyType.EC, 1, false),
                new PkiGenerator.Options(List.of(), List.of(), "id", null, PkiGenerator.KeyType.EC, 0, false));
        for (PkiGenerator.Options o : bad) {
            assertThrows(IOException.class, () -> PkiGenerator.init(dir, o), o.toString());
        }
        assertFalse(Files.exists(dir));
    }

    private static Set<String> altNames(X509Certificate cert) throws Exception {
        List<String> names = new ArrayList<>();
        for (List<?> entry : cert.getSubjectAlternativeNames()) names.add(entry.get(1).toString());
        return new TreeSet<>(names);
    }
}
