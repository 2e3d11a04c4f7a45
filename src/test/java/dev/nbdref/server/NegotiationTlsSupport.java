package dev.nbdref.server;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.tls.PemFiles;
import dev.nbdref.tls.PkiGenerator;
import dev.nbdref.tls.TlsMode;
import dev.nbdref.tls.TlsSettings;
import dev.nbdref.tls.TlsUpgrader;
import dev.nbdref.wire.Greeting;
import dev.nbdref.wire.OptionHeader;
import dev.nbdref.wire.OptionReply;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import static dev.nbdref.server.NegotiationSupport.assertOnly;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Servers in each TLS mode, and a raw option client that can switch its socket to TLS after STARTTLS. */
final class NegotiationTlsSupport {
    /** A plain-text export (usable before TLS in SELECTIVETLS). */
    static final String OPEN = "open";
    /** A tls-only export (hidden and refused before TLS in SELECTIVETLS). */
    static final String SECRET = "secret";

    private NegotiationTlsSupport() {
    }

    /** Writes a CA, server and client set (EC keys: quick) into {@code dir}. */
    static Path pki(Path dir) throws IOException {
        PkiGenerator.init(dir, new PkiGenerator.Options(List.of(), List.of(), PkiGenerator.DEFAULT_PSK_IDENTITY,
                null, PkiGenerator.KeyType.EC, 30, false));
        return dir;
    }

    static List<Export> exports() {
        return List.of(new Export(OPEN, "plain text is fine", new MemoryDevice(1 << 20), false, false),
                new Export(SECRET, "needs TLS", new MemoryDevice(1 << 20), false, true));
    }

    /** A server in {@code mode} with the {@link #OPEN} and {@link #SECRET} exports (OFF: only OPEN). */
    static TestServer server(TlsMode mode, Path pkiDir) throws IOException {
        if (mode == TlsMode.OFF) return new TestServer(List.of(exports().get(0)));
        TlsUpgrader upgrader = new TlsSettings(pkiDir, null, false, List.of()).createUpgrader();
        // TestServer checks its base config (TLS off) first, which refuses tls-only exports: add them with TLS.
        return new TestServer(List.of(exports().get(0)), cfg -> new ServerConfig(cfg.host(), cfg.port(), exports(),
                cfg.sizes(), cfg.report(), cfg.shutdownGrace(), cfg.handshakeTimeout(), mode, upgrader,
                cfg.behavior()));
    }

    /** A JDK client context trusting only the PKI's CA. */
    static SSLContext clientContext(Path pkiDir) throws Exception {
        X509Certificate ca = PemFiles.readCertificates(pkiDir.resolve("ca-cert.pem")).get(0);
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** Option-phase client over a plain socket that can be upgraded in place to TLS. */
    static final class TlsOptionClient implements AutoCloseable {
        private final Socket plain;
        private Socket current;
        private DataInputStream in;
        private OutputStream out;

        TlsOptionClient(int port) throws IOException {
            plain = new Socket("127.0.0.1", port);
            plain.setSoTimeout(10_000);
            plain.setTcpNoDelay(true);
            use(plain);
        }

        private void use(Socket s) throws IOException {
            current = s;
            in = new DataInputStream(s.getInputStream());
            out = s.getOutputStream();
        }

        Greeting handshake() throws Exception {
            Greeting g = Greeting.decode(readExactly(Greeting.SIZE));
            send(ByteBuffer.allocate(4).putInt(RawClient.FIXED_AND_NO_ZEROES).array());
            return g;
        }

        void send(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        void sendOption(int option, byte[] payload) throws IOException { send(OptionHeader.encode(option, payload)); }

        OptionReply readOptionReply() throws Exception {
            OptionReply.Header h = OptionReply.decodeHeader(readExactly(OptionReply.HEADER_SIZE));
            return new OptionReply(h.option(), h.type(), readExactly((int) h.length()));
        }

        List<OptionReply> readUntilFinal() throws Exception {
            List<OptionReply> all = new ArrayList<>();
            while (true) {
                OptionReply r = readOptionReply();
                all.add(r);
                OptionReplyType t = r.replyType();
                if (t != OptionReplyType.INFO && t != OptionReplyType.SERVER && t != OptionReplyType.META_CONTEXT) {
                    return all;
                }
            }
        }

        List<OptionReply> option(int option, byte[] payload) throws Exception {
            sendOption(option, payload);
            return readUntilFinal();
        }

        List<OptionReply> option(OptionType option, byte[] payload) throws Exception {
            return option(option.value, payload);
        }

        /** STARTTLS, which must be ACKed, then a JDK TLS handshake over the same socket (CA-checked). */
        void startTls(SSLContext ctx) throws Exception {
            assertOnly(option(OptionType.STARTTLS, new byte[0]), OptionType.STARTTLS, OptionReplyType.ACK);
            SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(plain, "localhost", plain.getPort(), true);
            tls.setUseClientMode(true);
            tls.setSoTimeout(10_000);
            tls.startHandshake();
            use(tls);
        }

        /** A 16-byte simple reply header's error field (the magic is checked). */
        int readSimpleReplyError(long cookie) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(readExactly(16));
            int magic = b.getInt();
            if (magic != dev.nbdref.spec.Magic.SIMPLE_REPLY) {
                fail(String.format("expected a simple reply, got magic 0x%08x", magic));
            }
            int error = b.getInt();
            if (b.getLong() != cookie) fail("cookie not echoed");
            return error;
        }

        byte[] readExactly(int n) throws IOException {
            byte[] b = new byte[n];
            in.readFully(b);
            return b;
        }

        /** Everything the server sends until it closes; fails if it stays open past the socket timeout. */
        byte[] readUntilClosed() throws IOException {
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            InputStream raw = in;
            try {
                int b;
                while ((b = raw.read()) >= 0) {
                    got.write(b);
                    if (got.size() > 65536) fail("the server kept sending instead of closing");
                }
            } catch (SocketTimeoutException e) {
                fail("expected the server to close the connection, but it stayed open; got " + got.size() + " bytes");
            } catch (EOFException | SocketException e) {
                // closed (a reset counts)
            } catch (IOException e) {
                // a TLS layer reporting the peer's close or an alert: closed too
            }
            return got.toByteArray();
        }

        /** The server closes without sending another byte. */
        void assertClosedSilently() throws IOException {
            byte[] got = readUntilClosed();
            assertTrue(got.length == 0, "expected the server to close without sending anything, got " + got.length
                    + " bytes");
        }

        @Override
        public void close() throws IOException {
            current.close();
            plain.close();
        }
    }
}
