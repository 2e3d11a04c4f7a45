package dev.nbdref.tls;

import org.bouncycastle.tls.TlsClient;
import org.bouncycastle.tls.TlsClientProtocol;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Runs one handshake over a real loopback TCP connection: the upgrader on a server thread, a BouncyCastle
 * client on the test thread. After a successful handshake it sends a line each way through the returned
 * streams, which proves they carry data (and that the caller's flush reaches the wire).
 */
final class TlsLoopback {
    private static final int SOCKET_TIMEOUT_MS = 15_000;

    /**
     * @param session     the server's result, or null if it failed
     * @param serverError why the server failed, or null
     * @param clientError why the client failed (during the handshake or the exchange), or null
     * @param reply       what the client read back from the server after the handshake, or null
     */
    record Outcome(TlsSession session, Throwable serverError, Throwable clientError, String reply) {
        boolean succeeded() {
            return serverError == null && clientError == null;
        }

        String describe() {
            return "server: " + (serverError != null ? serverError : session) + "; client: " + clientError;
        }
    }

    private TlsLoopback() {
    }

    static Outcome handshake(TlsUpgrader upgrader, TlsClient client) throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket clientSocket = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
             Socket serverSocket = listener.accept()) {
            clientSocket.setSoTimeout(SOCKET_TIMEOUT_MS);
            serverSocket.setSoTimeout(SOCKET_TIMEOUT_MS);
            Future<TlsSession> server = executor.submit(() -> serveOnce(upgrader, serverSocket));
            TlsClientProtocol protocol = new TlsClientProtocol(clientSocket.getInputStream(), clientSocket.getOutputStream());
            Throwable clientError = null;
            String reply = null;
            try {
                protocol.connect(client);
                OutputStream out = protocol.getOutputStream();
                out.write("ping\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                reply = readLine(protocol.getInputStream());
            } catch (IOException e) {
                clientError = e;
                protocol.close(); // lets a server still waiting for the client see the end
            }
            TlsSession session = null;
            Throwable serverError = null;
            try {
                session = server.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                serverError = e.getCause();
            }
            return new Outcome(session, serverError, clientError, reply);
        } finally {
            executor.shutdownNow();
        }
    }

    /** The server side: handshake, then answer the client's line with "pong". */
    private static TlsSession serveOnce(TlsUpgrader upgrader, Socket socket) throws IOException {
        try {
            TlsSession session = upgrader.handshake(socket.getInputStream(), socket.getOutputStream());
            String line = readLine(session.in());
            session.out().write(("pong " + line + "\n").getBytes(StandardCharsets.US_ASCII));
            session.out().flush();
            return session;
        } catch (IOException | RuntimeException e) {
            socket.close(); // a failed handshake ends the connection, as the server does
            throw e;
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) throw new IOException("end of stream after \"" + line + "\"");
            line.append((char) c);
        }
        return line.toString();
    }
}
