package dev.nbdref.tls;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * TLS credentials and client policy as configured (placeholder until the TLS engine lands: the lead
 * wrote this skeleton so the CLI compiles; the TLS helper owns and replaces it).
 */
public record TlsSettings(Path x509Dir, Path pskFile, boolean verifyPeer, List<String> authzDns) {

    public TlsUpgrader createUpgrader() throws IOException {
        throw new IOException("the TLS engine is not built yet");
    }
}
