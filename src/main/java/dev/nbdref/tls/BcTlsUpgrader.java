package dev.nbdref.tls;

import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.TlsServerProtocol;
import org.bouncycastle.tls.crypto.impl.jcajce.JcaTlsCrypto;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * The TLS engine: BouncyCastle's low-level protocol (the only BC API with TLS-PSK, and it does X.509 too, so
 * one code path) over the JDK's JCA crypto ({@link JdkFirstCrypto}). One instance serves every connection:
 * the credentials are immutable and each handshake gets its own {@link NbdTlsServer}.
 */
final class BcTlsUpgrader implements TlsUpgrader {
    /** The whole handshake, however the client paces it; as long as a plaintext negotiation may idle per read. */
    static final Duration HANDSHAKE_BUDGET = Duration.ofSeconds(60);
    /** One TLS record's worth of plaintext: each write to BC's stream becomes at least one record. */
    private static final int RECORD_PAYLOAD = 16384;
    private static final Logger log = LoggerFactory.getLogger(BcTlsUpgrader.class);

    private final JcaTlsCrypto crypto = JdkFirstCrypto.create();
    private final X509Credentials x509;
    private final PskKeys psk;
    private final ClientCertVerifier verifier;
    private final Duration budget;

    BcTlsUpgrader(X509Credentials x509, PskKeys psk, ClientCertVerifier verifier, Duration budget) {
        if (x509 == null && psk == null) throw new IllegalArgumentException("TLS needs a certificate or PSK keys");
        this.x509 = x509;
        this.psk = psk;
        this.verifier = verifier;
        this.budget = budget;
    }

    @Override
    public TlsSession handshake(InputStream in, OutputStream out) throws IOException {
        return handshake(in, out, RecordObserver.NONE);
    }

    /** The observer sits right on the raw stream, so it sees each ciphertext byte as the engine reads it. */
    @Override
    public TlsSession handshake(InputStream in, OutputStream out, RecordObserver records) throws IOException {
        HandshakeDeadlineInputStream bounded =
                new HandshakeDeadlineInputStream(new RecordBoundaryInputStream(in, records), budget);
        TlsServerProtocol protocol = new TlsServerProtocol(bounded, out);
        NbdTlsServer server = new NbdTlsServer(crypto, x509, psk, verifier);
        try {
            protocol.accept(server);
        } catch (IOException | RuntimeException e) { // BC reports some malformed input as runtime exceptions
            String why = describe(e, server, bounded.reachedEnd());
            log.info("TLS handshake failed: {}", why);
            log.debug("TLS handshake failure in detail", e);
            throw new TlsHandshakeException(why, e);
        }
        bounded.disarm();
        return new TlsSession(protocol.getInputStream(),
                new BufferedOutputStream(protocol.getOutputStream(), RECORD_PAYLOAD),
                server.peerDn(), server.pskIdentity(), protocolName(server.negotiatedVersion()),
                CipherSuites.name(server.negotiatedCipherSuite()));
    }

    /** "TLSv1.3", as the JDK and OpenSSL name versions. */
    static String protocolName(ProtocolVersion version) {
        if (ProtocolVersion.TLSv13.equals(version)) return "TLSv1.3";
        if (ProtocolVersion.TLSv12.equals(version)) return "TLSv1.2";
        return version == null ? "unknown" : version.getName();
    }

    /** @param clientClosed the client's stream ended (BC then reports a handshake_failure of its own) */
    private String describe(Exception e, NbdTlsServer server, boolean clientClosed) {
        String why;
        if (e instanceof SocketTimeoutException) {
            why = "timed out: " + e.getMessage();
        } else if (clientClosed || e instanceof EOFException || e instanceof SocketException) {
            // GnuTLS clients that reject the server's certificate mostly just disconnect, without an alert.
            why = "the client closed the connection" + (clientClosed ? "" : " (" + e.getMessage() + ")")
                    + (x509 != null ? "; a client that does not accept the server's certificate often does that" : "");
        } else {
            why = server.alert() != null ? server.alert() : e.toString();
        }
        if (!server.unknownPskIdentities().isEmpty()) {
            why += "; the client offered PSK identities not in the keys file: " + server.unknownPskIdentities();
        }
        return why;
    }
}
