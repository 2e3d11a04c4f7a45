package dev.nbdref.interop;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.testing.Verifies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * nbd-client 3.24 over TLS, which it speaks as TLS 1.2 only (its GnuTLS priority is
 * "NORMAL:-VERS-TLS-ALL:+VERS-TLS1.2"). Without an nbd kernel module only negotiation runs: -l lists, -N
 * negotiates and prints "size = 64MB" before failing at the netlink step.
 *
 * <p>Debian's nbd-client 3.24 does not accept the short option -F for the certificate file although its help
 * lists it ("unrecognized option '-F'"); the long form -certfile works, and -K, -A and -x do.
 */
class TlsNbdClientInteropTest {

    @TempDir
    static Path shared;
    static Path pki;

    @BeforeAll
    static void makePki() {
        pki = TlsPkiTool.init(shared.resolve("pki"), "--key-type", "ec");
    }

    private static PeerResult nbdClient(Object... args) {
        List<Object> all = new ArrayList<>(List.of("-x", "-certfile", pki.resolve("client-cert.pem"),
                "-K", pki.resolve("client-key.pem"), "-A", pki.resolve("ca-cert.pem")));
        all.addAll(Arrays.asList(args));
        PeerResult result = PeerCommand.of("nbd-client", all.toArray()).timeout(Duration.ofSeconds(30)).run();
        if (Files.isDirectory(Path.of("/sys/module/nbd")) && Arrays.asList(args).contains("-N")) {
            PeerCommand.of("nbd-client", "-d", "/dev/nbd0").timeout(Duration.ofSeconds(30)).run();
        }
        return result;
    }

    /** nbd-client -l over mutual TLS lists the exports (names are only visible after STARTTLS here). */
    @Test
    @Verifies({"S26", "S32"})
    void listOverTls() {
        try (TlsServerProcess server = TlsServerProcess.start("--tls-x509", pki.toString(), "--tls-verify-peer",
                "--export", "alpha=memory:64M", "--export", "beta=memory:100M")) {
            PeerResult list = server.expectSuccess(nbdClient("-l", "127.0.0.1", server.port()));
            List<String> names = Arrays.stream(list.stdout().split("\n")).map(l -> l.split(":", 2)[0].trim()).toList();
            assertTrue(names.contains("alpha") && names.contains("beta"), list.describe());
            assertTrue(server.logShows("TLS up: TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, client CN=client"),
                    server.logReport());
        }
    }

    /** nbd-client -N negotiates the export over TLS 1.2 and reports its size. */
    @Test
    @Verifies({"S26", "S32", "S12"})
    void negotiationOverTls() {
        try (TlsServerProcess server = TlsServerProcess.start("--tls-x509", pki.toString(), "--tls-verify-peer",
                "--export", "disk=memory:64M")) {
            PeerResult result = nbdClient("-N", "disk", "127.0.0.1", server.port(), "/dev/nbd0");
            assertTrue(result.stdout().contains("size = 64MB"), result.describe() + "\n" + server.logReport());
            assertTrue(server.logShows("transmission on export \"disk\""), server.logReport());
        }
    }
}
