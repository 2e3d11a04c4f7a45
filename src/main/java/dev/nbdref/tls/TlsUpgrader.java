package dev.nbdref.tls;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Runs the server side of a TLS handshake over a connection that has just sent the STARTTLS ACK.
 * Implementations are safe for concurrent use: one upgrader serves every connection.
 */
public interface TlsUpgrader {

    /**
     * @param in  the client's stream, which may already hold buffered bytes of the ClientHello
     * @param out the raw socket stream
     * @throws TlsHandshakeException when the handshake fails or the peer is not authorised; the caller must
     *                               then close the connection (spec: a failed handshake ends the session)
     */
    TlsSession handshake(InputStream in, OutputStream out) throws IOException;

    /**
     * The same, and {@code records} is told, on the reading thread, where each record the client sends begins and
     * ends, during the handshake and after it. This default observes nothing.
     */
    default TlsSession handshake(InputStream in, OutputStream out, RecordObserver records) throws IOException {
        return handshake(in, out);
    }
}
