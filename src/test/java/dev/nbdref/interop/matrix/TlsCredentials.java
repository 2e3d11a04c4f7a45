package dev.nbdref.interop.matrix;

import dev.nbdref.interop.TlsPkiTool;
import dev.nbdref.tls.PkiGenerator;
import java.nio.file.Path;

/**
 * The TLS credentials of one matrix run, made once with {@code nbdref pki init DIR} (as a user makes them) and
 * shared by every TLS cell: the server reads DIR as {@code --tls-x509} and DIR/keys.psk as {@code --tls-psk}; the
 * peer container sees DIR read-only at the same path, which holds exactly the client layout qemu
 * ({@code tls-creds-x509,dir=} and {@code tls-creds-psk,dir=}), libnbd ({@code tls-certificates=},
 * {@code tls-psk-file=}) and nbd-client ({@code -A -certfile -K}) read.
 */
record TlsCredentials(Path dir) {

    /** The PSK identity {@code pki init} writes into keys.psk ({@code {pskidentity}} in scenarios). */
    static final String PSK_IDENTITY = PkiGenerator.DEFAULT_PSK_IDENTITY;

    /** Runs {@code nbdref pki init DIR} from the built jar; fails the caller's test if it does not succeed. */
    static TlsCredentials create(Path dir) {
        TlsPkiTool.init(dir);
        return new TlsCredentials(dir);
    }

    Path pskFile() {
        return dir.resolve("keys.psk");
    }
}
