package dev.nbdref.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/** A PKI made by nbdref's own generator, and the client credentials in it, for handshake tests. */
record TestPki(Path dir) {

    static TestPki create(Path dir, PkiGenerator.KeyType type, String... extraClients) throws IOException {
        PkiGenerator.init(dir, new PkiGenerator.Options(List.of(), List.of(extraClients),
                PkiGenerator.DEFAULT_PSK_IDENTITY, null, type, 30, false));
        return new TestPki(dir);
    }

    Path pskFile() {
        return dir.resolve(PkiGenerator.PSK_FILE);
    }

    X509Certificate ca() throws IOException {
        return PemFiles.readCertificates(dir.resolve("ca-cert.pem")).get(0);
    }

    /** The default client (CN=client), or an extra one by name. */
    ClientCredentials client(String name) throws IOException {
        Path clientDir = name.equals(PkiGenerator.DEFAULT_CLIENT) ? dir : dir.resolve("clients").resolve(name);
        return new ClientCredentials(PemFiles.readCertificates(clientDir.resolve("client-cert.pem")).get(0),
                PemFiles.readPrivateKey(clientDir.resolve("client-key.pem")));
    }

    byte[] pskKey() throws IOException {
        return PskKeys.load(pskFile()).keyFor(PkiGenerator.DEFAULT_PSK_IDENTITY);
    }

    record ClientCredentials(X509Certificate cert, PrivateKey key) {
    }
}
