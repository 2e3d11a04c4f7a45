package dev.nbdref.server;

import dev.nbdref.conformance.ConnectionRecorder;
import dev.nbdref.conformance.Violation;
import dev.nbdref.spec.RequirementCatalog;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One server connection run over in-memory streams, for fuzz targets in other packages: the client's bytes are
 * a fixed array (its end is the client closing), the server's bytes are captured. It runs the real
 * {@link OptionNegotiator} and, after GO or EXPORT_NAME, the real {@link TransmissionLoop}, on the calling
 * thread, with requests executed inline (a direct executor), so a run is deterministic: every reply is complete
 * before the next request is read. Unlike {@link Connection}, it lets a runtime exception of the server escape,
 * so the fuzzer sees it.
 */
public final class InMemoryConnection {
    private static final RequirementCatalog CATALOG = RequirementCatalog.standard();
    /** The same per-connection buffer budget the server gives each client. */
    private static final int BUDGET = NbdServer.CONNECTION_BUDGET;

    private InMemoryConnection() {}

    /**
     * What a run produced.
     *
     * @param output          the server's bytes, at most the capture limit
     * @param outputTruncated more was written than captured (the rest was counted, not kept)
     * @param outputBytes     every byte the server wrote
     * @param end             how the connection ended, for messages
     * @param hardDisconnect  the server dropped the connection deliberately (HardDisconnect)
     * @param violations      what the recorder noted
     */
    public record Outcome(byte[] output, boolean outputTruncated, long outputBytes, String end, boolean hardDisconnect,
                          List<Violation> violations) {}

    /**
     * Runs {@code clientBytes} against a server with {@code config} (its exports are used as they are; give fresh
     * devices per run). Expected ends (the client closes, a hard disconnect) return normally; anything else the
     * server throws propagates, except errors of the capture itself.
     */
    public static Outcome run(ServerConfig config, byte[] clientBytes, int captureLimit) throws Exception {
        InputStream in = new ByteArrayInputStream(clientBytes);
        CaptureStream out = new CaptureStream(captureLimit);
        ConnectionRecorder recorder = new ConnectionRecorder(CATALOG, "fuzz");
        ConnectionContext ctx = new ConnectionContext("fuzz", new InMemorySocket(in, out), new ClientInput(in),
                new ReplySender(out), recorder, new ExportRegistry(config.exports()), config, () -> false);
        String end;
        boolean hard = false;
        BufferBudget budget = new BufferBudget(BUDGET);
        try {
            Optional<Session> session = new OptionNegotiator(ctx, budget).run();
            if (session.isPresent()) {
                DirectExecutor direct = new DirectExecutor();
                new TransmissionLoop(ctx, session.get(), new Workers(direct, direct), budget, IoWatchdog.disabled()).run();
            }
            ctx.out().close();
            end = "ended: " + recorder.endReason();
        } catch (HardDisconnect e) {
            end = "hard disconnect: " + e.getMessage();
            hard = true;
        } catch (EOFException e) {
            end = "client closed inside a message: " + e.getMessage();
        }
        return new Outcome(out.captured(), out.total > captureLimit, out.total, end, hard, recorder.violations());
    }

    /** Keeps the first {@code limit} bytes written and counts the rest. */
    private static final class CaptureStream extends OutputStream {
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final int limit;
        long total;

        CaptureStream(int limit) { this.limit = limit; }

        @Override
        public void write(int b) {
            if (total++ < limit) kept.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            long room = Math.max(0, limit - total);
            kept.write(b, off, (int) Math.min(len, room));
            total += len;
        }

        byte[] captured() { return kept.toByteArray(); }
    }

    /** Runs each task at once on the caller's thread. */
    private static final class DirectExecutor extends AbstractExecutorService {
        private volatile boolean shut;

        @Override public void execute(Runnable command) { command.run(); }
        @Override public void shutdown() { shut = true; }
        @Override public List<Runnable> shutdownNow() { shut = true; return List.of(); }
        @Override public boolean isShutdown() { return shut; }
        @Override public boolean isTerminated() { return shut; }
        @Override public boolean awaitTermination(long timeout, TimeUnit unit) { return true; }
    }

    /** A socket that is only a holder for the two streams (the negotiator touches the socket only for TLS). */
    private static final class InMemorySocket extends Socket {
        private final InputStream in;
        private final OutputStream out;

        InMemorySocket(InputStream in, OutputStream out) {
            this.in = in;
            this.out = out;
        }

        @Override public InputStream getInputStream() { return in; }
        @Override public OutputStream getOutputStream() { return out; }
        @Override public void setSoTimeout(int timeout) { }
        @Override public void setTcpNoDelay(boolean on) { }
        @Override public SocketAddress getRemoteSocketAddress() { return new InetSocketAddress("127.0.0.1", 1); }
        @Override public synchronized void close() { }
        @Override public boolean isConnected() { return true; }
    }
}
