package dev.nbdref.cli;

import dev.nbdref.server.Profile;
import dev.nbdref.tls.PkiGenerator;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * The TLS credentials of a check-client run, and {@code {tls-dir}}. When TLS is wanted (the tls-required
 * profile, or a --tls-* option) and no credentials were given, a throwaway PKI is generated into a private
 * temporary directory: a CA, server and client certificates and a PSK keys file, in the layout qemu, nbdkit,
 * libnbd and nbd-client read. The client finds it through {@code {tls-dir}}; it is deleted after the run.
 */
final class CheckClientTls implements AutoCloseable {
    private final Path dir;
    private final boolean generated;

    private CheckClientTls(Path dir, boolean generated) {
        this.dir = dir;
        this.generated = generated;
    }

    /** The credentials directory, or null when the server runs without TLS. */
    Path dir() { return dir; }

    boolean generated() { return generated; }

    /**
     * Decides on the credentials and, when it generates them, points the server options at them
     * (--tls-x509 DIR and --tls-psk DIR/keys.psk), so the server offers both certificates and PSK.
     */
    static CheckClientTls prepare(ServerOptions options, Profile profile) throws IOException {
        ConfigFile.Tls file = options.config == null ? ConfigFile.Tls.NONE : ConfigFile.load(options.config).tls();
        Path x509 = options.tlsX509 != null ? options.tlsX509 : file.x509();
        Path psk = options.tlsPsk != null ? options.tlsPsk : file.psk();
        if (x509 != null) return new CheckClientTls(x509.toAbsolutePath(), false);
        if (psk != null) return new CheckClientTls(psk.toAbsolutePath().getParent(), false);
        if (!wantsTls(options, file, profile)) return new CheckClientTls(null, false);
        Path dir = Files.createTempDirectory("nbdref-check-client-pki-");
        try {
            PkiGenerator.init(dir, new PkiGenerator.Options(List.of(), List.of(), PkiGenerator.DEFAULT_PSK_IDENTITY,
                    null, PkiGenerator.KeyType.RSA, 2, true));
        } catch (IOException | RuntimeException e) {
            deleteTree(dir);
            throw new IOException("cannot generate a throwaway PKI for TLS: " + e.getMessage(), e);
        }
        options.tlsX509 = dir;
        options.tlsPsk = dir.resolve(PkiGenerator.PSK_FILE);
        return new CheckClientTls(dir, true);
    }

    private static boolean wantsTls(ServerOptions o, ConfigFile.Tls file, Profile profile) {
        String mode = o.tlsMode != null ? o.tlsMode : file.mode();
        return profile == Profile.TLS_REQUIRED || (mode != null && !mode.equals("off"))
                || Boolean.TRUE.equals(o.tlsVerifyPeer) || Boolean.TRUE.equals(file.verifyPeer())
                || !o.tlsAuthz.isEmpty() || !file.authz().isEmpty();
    }

    /** Deletes a generated PKI (never credentials the user gave). */
    @Override
    public void close() throws IOException {
        if (generated) deleteTree(dir);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
