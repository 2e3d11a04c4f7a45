package dev.nbdref.interop.matrix;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a scenario's server section into {@code nbdref serve} arguments (the ones after
 * {@code --listen 127.0.0.1:0}), exactly as a user would type them: exports, block size, TLS, dirty bitmaps,
 * the validator, free-form arguments, and the violation report the judge reads.
 */
final class ServeArguments {

    /** Where a cell's server finds its files: the repository (bochs fixtures), its scratch directory, its report. */
    record Paths(Path root, Path serverDir, Path report) {
    }

    private ServeArguments() {
    }

    /** {@code tls} may be null when the scenario has no server.tls. File exports get a sparse file of their size. */
    static List<String> of(Scenario.Server server, Paths paths, TlsCredentials tls) throws IOException {
        List<String> args = new ArrayList<>();
        for (Scenario.Export e : server.exports()) {
            args.add("--export");
            args.add(export(e, paths));
        }
        if (server.minBlock() != null) {
            args.add("--min-block");
            args.add(String.valueOf(server.minBlock()));
        }
        if (server.tls() != null) {
            args.addAll(tls(server.tls(), tls));
        }
        for (Scenario.Bitmap b : server.bitmaps()) {
            args.add("--bitmap");
            args.add(b.export() + ":" + b.name() + (b.granularity() == null ? "" : ":" + b.granularity()));
        }
        if (server.validatorProfile() != null) {
            args.addAll(List.of("--validate", "--profile", server.validatorProfile()));
        }
        args.addAll(server.args());
        args.add("--report");
        args.add(paths.report().toString());
        return args;
    }

    private static String export(Scenario.Export e, Paths paths) throws IOException {
        StringBuilder arg = new StringBuilder(e.name()).append('=').append(backend(e, paths));
        // A bochs export is read-only unless ",rw" is given, and the harness never gives it: fixtures stay intact.
        if (e.readOnly()) {
            arg.append(",ro");
        }
        if (e.description() != null) {
            arg.append(",description=").append(e.description());
        }
        return arg.toString();
    }

    private static String backend(Scenario.Export e, Paths paths) throws IOException {
        switch (e.backend()) {
            case "file" -> {
                Path file = paths.serverDir().resolve(e.name() + ".raw");
                try (RandomAccessFile raw = new RandomAccessFile(file.toFile(), "rw")) {
                    raw.setLength(bytes(e.size()));
                }
                return "file:" + file;
            }
            case "bochs" -> {
                return "bochs:" + paths.root().resolve(e.image());
            }
            default -> {
                return "memory:" + e.size();
            }
        }
    }

    private static List<String> tls(Scenario.Tls settings, TlsCredentials credentials) {
        if (credentials == null) {
            throw new IllegalStateException("a TLS scenario ran without credentials: the matrix makes them when a"
                    + " selected scenario has server.tls");
        }
        List<String> args = new ArrayList<>(List.of("--tls-mode", settings.mode()));
        if (settings.x509()) {
            args.addAll(List.of("--tls-x509", credentials.dir().toString()));
        } else {
            args.addAll(List.of("--tls-psk", credentials.pskFile().toString()));
        }
        if (settings.verifyPeer()) {
            args.add("--tls-verify-peer");
        }
        return args;
    }

    static long bytes(String size) {
        char unit = size.charAt(size.length() - 1);
        int shift = switch (unit) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            default -> 0;
        };
        String digits = shift == 0 ? size : size.substring(0, size.length() - 1);
        return Long.parseLong(digits) << shift;
    }
}
