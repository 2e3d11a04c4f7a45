package dev.nbdref.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Makes the TLS credentials for the interop suites with {@code nbdref pki init}, run from the built jar as a
 * user would, so the peers read exactly what the generator writes.
 */
public final class TlsPkiTool {

    private TlsPkiTool() {
    }

    /** {@code java -jar nbdref.jar} (or the {@code nbdref.command} prefix, as for {@link NbdrefProcess}). */
    static List<String> launcher() {
        String custom = System.getProperty("nbdref.command");
        if (custom != null && !custom.isBlank()) return List.of(custom.trim().split("\\s+"));
        Path jar = Path.of(System.getProperty("nbdref.jar", "target/nbdref.jar"));
        if (!Files.isRegularFile(jar)) fail("nbdref jar not found at " + jar + ": build it first (mvn package)");
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString());
    }

    /** {@code nbdref pki init DIR ARGS}; fails the test if it does not succeed. */
    public static Path init(Path dir, String... args) {
        List<String> command = new ArrayList<>(launcher());
        command.addAll(List.of("pki", "init", dir.toString()));
        command.addAll(Arrays.asList(args));
        PeerResult result = new PeerCommand(command.get(0), command.subList(1, command.size()).toArray()).run();
        result.assertSuccess();
        return dir;
    }

    /**
     * A directory a client can use that holds only some of DIR's files (e.g. the CA alone: a client without a
     * certificate), or files from two PKIs (a client certificate from another CA).
     */
    static Path clientDir(Path target, Path caFrom, Path certFrom) {
        try {
            Files.createDirectories(target);
            Files.copy(caFrom.resolve("ca-cert.pem"), target.resolve("ca-cert.pem"));
            if (certFrom != null) {
                Files.copy(certFrom.resolve("client-cert.pem"), target.resolve("client-cert.pem"));
                Files.copy(certFrom.resolve("client-key.pem"), target.resolve("client-key.pem"));
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The CA's common name (CN=...), to make an impostor CA of the same name with --ca-name. */
    static String caName(Path dir) {
        try (InputStream in = Files.newInputStream(dir.resolve("ca-cert.pem"))) {
            X509Certificate ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            String dn = ca.getSubjectX500Principal().getName();
            return dn.substring(dn.indexOf("CN=") + 3);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (CertificateException e) {
            throw new IllegalStateException(e);
        }
    }
}
