package dev.nbdref.tls;

import java.io.InputStream;
import java.io.OutputStream;

/**
 * A completed server-side TLS handshake: the streams to use from now on, and who the peer is.
 *
 * @param peerDn      the verified client certificate's subject DN (RFC 2253), or null
 * @param pskIdentity the PSK identity the client used, or null
 * @param protocol    e.g. "TLSv1.3"
 * @param cipherSuite e.g. "TLS_AES_128_GCM_SHA256"
 */
public record TlsSession(InputStream in, OutputStream out, String peerDn, String pskIdentity, String protocol,
                         String cipherSuite) {
}
