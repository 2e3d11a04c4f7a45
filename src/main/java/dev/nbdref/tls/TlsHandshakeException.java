package dev.nbdref.tls;

import java.io.IOException;

/** The TLS handshake failed, or the peer it authenticated is not allowed. */
public final class TlsHandshakeException extends IOException {
    public TlsHandshakeException(String message, Throwable cause) { super(message, cause); }

    public TlsHandshakeException(String message) { super(message); }
}
