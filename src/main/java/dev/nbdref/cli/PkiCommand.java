package dev.nbdref.cli;

import dev.nbdref.tls.PkiGenerator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code nbdref pki}: test credentials for TLS, in the layout qemu, nbdkit, libnbd and nbd-client read. */
@Command(name = "pki", mixinStandardHelpOptions = true,
        description = "Make TLS credentials (a CA, server and client certificates, a PSK keys file) for testing.",
        subcommands = {PkiCommand.Init.class})
final class PkiCommand implements Runnable {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = {"Generate DIR/ca-cert.pem, ca-key.pem, server-cert.pem, server-key.pem, client-cert.pem,",
                    "client-key.pem, keys.psk (and clients/NAME/ for each --client). Keys are written mode 0600.",
                    "Use DIR as: nbdref serve --tls-x509 DIR (or --tls-psk DIR/keys.psk);",
                    "qemu-img --object tls-creds-x509,id=tls0,dir=DIR,endpoint=client;",
                    "nbdinfo 'nbds://127.0.0.1:PORT/NAME?tls-certificates=DIR';",
                    "nbd-client -x -A DIR/ca-cert.pem -F DIR/client-cert.pem -K DIR/client-key.pem ..."})
    static final class Init implements Callable<Integer> {

        @Parameters(paramLabel = "DIR", description = "Directory to write (created if missing).")
        Path dir;

        @Option(names = "--name", paramLabel = "HOST",
                description = "A further DNS name or IP address of the server (repeatable; localhost, 127.0.0.1"
                        + " and ::1 are always included). The first one is the certificate's CN.")
        List<String> names = new ArrayList<>();

        @Option(names = "--client", paramLabel = "NAME",
                description = "A further client certificate, CN=NAME, in DIR/clients/NAME/ (repeatable)."
                        + " DIR/client-cert.pem (CN=client) is always made.")
        List<String> clients = new ArrayList<>();

        @Option(names = "--psk-identity", paramLabel = "ID", defaultValue = PkiGenerator.DEFAULT_PSK_IDENTITY,
                description = "Identity (username) of the key in DIR/keys.psk (default: ${DEFAULT-VALUE}).")
        String pskIdentity;

        @Option(names = "--ca-name", paramLabel = "NAME",
                description = "Common name of the CA (default: \"nbdref CA\" and a random suffix).")
        String caName;

        @Option(names = "--key-type", paramLabel = "rsa|ec", defaultValue = "rsa",
                description = "Key algorithm: rsa (2048 bits) or ec (P-256). Default: ${DEFAULT-VALUE}.")
        String keyType;

        @Option(names = "--days", paramLabel = "N", defaultValue = "3650",
                description = "Validity of the certificates in days (default: ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--force", description = "Replace existing files.")
        boolean force;

        @Override
        public Integer call() throws Exception {
            PkiGenerator.KeyType type;
            switch (keyType.toLowerCase(Locale.ROOT)) {
                case "rsa": type = PkiGenerator.KeyType.RSA; break;
                case "ec": type = PkiGenerator.KeyType.EC; break;
                default: throw new IllegalArgumentException("--key-type must be rsa or ec, not \"" + keyType + "\"");
            }
            List<PkiGenerator.WrittenFile> written = PkiGenerator.init(dir,
                    new PkiGenerator.Options(names, clients, pskIdentity, caName, type, days, force));
            for (PkiGenerator.WrittenFile f : written) System.out.println(f.path() + "  " + f.description());
            System.out.flush();
            return 0;
        }
    }
}
