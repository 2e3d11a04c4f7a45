package dev.nbdref.load;

import dev.nbdref.model.ExportModel;
import dev.nbdref.model.NbdClient;
import dev.nbdref.model.NbdClient.Descriptor;
import dev.nbdref.model.NbdClient.Framing;
import dev.nbdref.model.NbdClient.Reply;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.MetaContext;
import dev.nbdref.wire.Request;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The load test: {@code connections} clients (framings mixed) each own a slice of one memory export and run mixed
 * WRITE, READ, WRITE_ZEROES, TRIM, FLUSH and BLOCK_STATUS requests against it for a fixed time, checking every
 * READ and every ZERO status against a model of their slice; at the end one more client reads the whole export and
 * compares it with all the models. Meanwhile three hostile clients run: one that sends large READs and never reads
 * the replies (stalled), one that sends a WRITE one byte per second (slow, in transmission), one that negotiates
 * one byte per second (slow, in the option phase), and one that sends a 1 MiB option, a 32 MiB option and then
 * options until the 4096-option limit cuts it off (each answered as documented). The others must keep working: 0 errors, every client
 * makes progress, no request waits longer than {@link #MAX_LATENCY}. The server's resident memory is sampled from
 * /proc/PID/status. The server runs with {@code --io-timeout} (the transmission-phase bound): the stalled reader and
 * the slow writer must be cut off that long after they stall (not earlier, and at most {@link #CUT_OFF_GRACE} later),
 * measured from the server's connection report and checked against the reasons in its log. A run of 60 s or more
 * also checks that the slow negotiator is cut off at the 60 s negotiation bound.
 * {@code java ... dev.nbdref.load.LoadRun [--seconds N] [--connections N] [--io-timeout N] [--jar PATH]
 * [--server-heap SIZE]} (conformance/load/load.sh); {@link LoadInteropTest} runs a short one in CI.
 */
public final class LoadRun {
    /** Bytes of the export each client owns. */
    static final int SLICE = 2 << 20;
    /** The server's default negotiation bound (ServerConfig.handshakeTimeout of serve). */
    static final Duration NEGOTIATION_BOUND = Duration.ofSeconds(60);
    /** Longer than this for one request counts as the server being blocked. */
    static final Duration MAX_LATENCY = Duration.ofSeconds(15);
    /** How much later than the I/O bound a hostile client may be cut off (watchdog period, a loaded machine). */
    static final Duration CUT_OFF_GRACE = Duration.ofSeconds(5);

    private LoadRun() {}

    /** What a run measured. */
    public record Result(int connections, double seconds, long requests, long errors, long minPerClient,
                         long maxLatencyMillis, Map<String, Long> byCommand, long rssKib, long peakRssKib,
                         boolean stalledStillOpen, boolean slowWriterStillOpen, boolean slowNegotiatorStillOpen,
                         long stalledCutOffMillis, long slowWriterCutOffMillis, List<String> problems) {
        boolean ok() { return errors == 0 && problems.isEmpty(); }

        @Override public String toString() {
            return String.format("%d clients for %.1f s: %d requests (%.0f/s), %d errors, slowest %d ms, fewest per client"
                            + " %d; by command %s; server RSS %d MiB at the end, peak %d MiB; stalled reader %s, slow"
                            + " writer %s, slow negotiator %s at the end", connections, seconds, requests,
                    requests / seconds, errors, maxLatencyMillis, minPerClient, byCommand, rssKib / 1024, peakRssKib / 1024,
                    cutOff(stalledStillOpen, stalledCutOffMillis), cutOff(slowWriterStillOpen, slowWriterCutOffMillis),
                    slowNegotiatorStillOpen ? "still connected" : "cut off");
        }

        private static String cutOff(boolean open, long millis) {
            return open ? "still connected" : millis >= 0 ? "cut off " + millis + " ms after it stalled" : "cut off";
        }
    }

    public static void main(String[] args) throws Exception {
        int seconds = 60;
        int connections = 64;
        int ioTimeout = 10;
        java.nio.file.Path jar = null;
        List<String> serverJvm = List.of();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds": seconds = Integer.parseInt(args[++i]); break;
                case "--connections": connections = Integer.parseInt(args[++i]); break;
                case "--io-timeout": ioTimeout = Integer.parseInt(args[++i]); break;
                case "--jar": jar = java.nio.file.Path.of(args[++i]); break;
                case "--server-heap": serverJvm = List.of("-Xmx" + args[++i]); break;
                default: throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Result r = runAgainstJar(jar != null ? jar : ServerProcess.jar(), serverJvm, connections,
                Duration.ofSeconds(seconds), Duration.ofSeconds(ioTimeout), System.out::println);
        System.out.println("load: " + r);
        r.problems().forEach(p -> System.out.println("  " + p));
        System.exit(r.ok() ? 0 : 1);
    }

    /**
     * Starts the jar with a memory export big enough for every client's slice, the transmission-phase bound
     * {@code ioBound} (which must be well inside {@code duration}) and a connection report, runs, stops it.
     */
    public static Result runAgainstJar(java.nio.file.Path jar, List<String> serverJvm, int connections, Duration duration,
                                       Duration ioBound, Consumer<String> log) throws Exception {
        long size = (long) SLICE * connections;
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("nbdref-load");
        java.nio.file.Path report = dir.resolve("connections.json");
        try (ServerProcess server = ServerProcess.start(jar, serverJvm, 1, "--export", "d=memory:" + size,
                "--io-timeout", Long.toString(ioBound.toSeconds()), "--report", report.toString())) {
            log.accept("load: nbdref pid " + server.pid() + " on port " + server.port() + ", " + connections
                    + " clients for " + duration.toSeconds() + " s, I/O timeout " + ioBound.toSeconds() + " s");
            Result r = run("127.0.0.1", server.port(), "d", connections, duration, ioBound, report, server, log);
            int exit = server.stop();
            if (exit != 0) {
                List<String> p = new ArrayList<>(r.problems());
                p.add("the server exited with " + exit + " on SIGTERM:\n" + server.log());
                return new Result(r.connections(), r.seconds(), r.requests(), r.errors(), r.minPerClient(),
                        r.maxLatencyMillis(), r.byCommand(), r.rssKib(), r.peakRssKib(), r.stalledStillOpen(),
                        r.slowWriterStillOpen(), r.slowNegotiatorStillOpen(), r.stalledCutOffMillis(),
                        r.slowWriterCutOffMillis(), p);
            }
            return r;
        } finally {
            java.nio.file.Files.deleteIfExists(report);
            java.nio.file.Files.deleteIfExists(dir);
        }
    }

    static Result run(String host, int port, String export, int connections, Duration duration, Duration ioBound,
                      java.nio.file.Path report, ServerProcess server, Consumer<String> log) throws Exception {
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        Map<String, AtomicLong> byCommand = new ConcurrentHashMap<>();
        AtomicLong errors = new AtomicLong();
        AtomicLong maxLatency = new AtomicLong();
        long[] perClient = new long[connections];
        ExportModel[] models = new ExportModel[connections];
        long deadline = System.nanoTime() + duration.toNanos();

        Hostile stalled = Hostile.stalledReader(host, port, export);
        Hostile slowWriter = Hostile.slowWriter(host, port, export, deadline);
        Hostile slowNegotiator = Hostile.slowNegotiator(host, port, deadline);
        Hostile flooder = Hostile.flooder(host, port);

        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            int id = i;
            models[i] = new ExportModel(SLICE, 64 * 1024);
            Thread t = new Thread(() -> {
                try {
                    perClient[id] = client(host, port, export, id, models[id], deadline, byCommand, maxLatency);
                } catch (Throwable e) {
                    errors.incrementAndGet();
                    problems.add("client " + id + ": " + e);
                }
            }, "load-client-" + i);
            threads.add(t);
        }
        long started = System.nanoTime();
        threads.forEach(Thread::start);
        long peak = 0;
        long rss = 0;
        while (threads.stream().anyMatch(Thread::isAlive)) {
            Thread.sleep(500);
            if (server != null) {
                rss = server.statusKib("VmRSS");
                peak = Math.max(peak, server.statusKib("VmHWM"));
            }
            if (System.nanoTime() - deadline > MAX_LATENCY.toNanos() * 2) {
                problems.add("clients still running " + 2 * MAX_LATENCY.toSeconds() + " s after the deadline");
                break;
            }
        }
        for (Thread t : threads) t.join(1000);
        double seconds = (System.nanoTime() - started) / 1e9;

        // Every slice, read back by a fresh client, is what its owner's model says.
        try (NbdClient c = NbdClient.connect(host, port, export, Framing.STRUCTURED, List.of(), 60_000)) {
            for (int i = 0; i < connections; i++) {
                Reply r = c.read((long) i * SLICE, SLICE, 0);
                if (!r.ok()) throw new AssertionError("final READ of slice " + i + ": error " + r.error());
                try {
                    models[i].checkRead(0, r.data(), "final READ of slice " + i);
                } catch (AssertionError e) {
                    errors.incrementAndGet();
                    problems.add(e.getMessage());
                }
            }
            c.disconnect();
        }
        if (server != null) {
            rss = server.statusKib("VmRSS");
            peak = Math.max(peak, server.statusKib("VmHWM"));
        }
        // The negotiation bound (60 s by default): a run long enough to pass it checks that it is enforced.
        boolean checkBound = duration.compareTo(NEGOTIATION_BOUND) >= 0;
        if (checkBound) {
            long wait = slowNegotiator.connectedAt + NEGOTIATION_BOUND.toNanos() + 2_000_000_000L - System.nanoTime();
            if (wait > 0) Thread.sleep(wait / 1_000_000);
        }
        boolean stalledOpen = stalled.stillOpen();
        boolean writerOpen = slowWriter.stillOpen();
        boolean negotiatorOpen = slowNegotiator.stillOpen();
        stalled.close();
        slowWriter.close();
        slowNegotiator.close();
        flooder.await(30_000);
        flooder.close();
        if (!stalled.problem().isEmpty()) problems.add("stalled reader: " + stalled.problem());
        if (!flooder.problem().isEmpty()) problems.add("option flooder: " + flooder.problem());
        if (checkBound && negotiatorOpen) {
            problems.add("a client negotiating a byte a second was still connected after the " + NEGOTIATION_BOUND.toSeconds()
                    + " s negotiation bound");
        }
        // The transmission-phase bound: both must be gone, at the bound (timed by the server's report), for the
        // reason its log gives.
        Map<Integer, java.time.Instant> ends = ConnectionEnds.byPeerPort(report);
        long stalledCut = stalled.cutOffMillis(ends);
        long writerCut = slowWriter.cutOffMillis(ends);
        checkCutOff("client that never reads its replies", stalledOpen, stalledCut, ioBound,
                "client read no reply data for " + ioBound.toSeconds() + " s", server, problems);
        checkCutOff("client sending a WRITE a byte a second", writerOpen, writerCut, ioBound,
                "request not complete within " + ioBound.toSeconds() + " s", server, problems);
        long min = Long.MAX_VALUE;
        long total = 0;
        for (long n : perClient) {
            min = Math.min(min, n);
            total += n;
        }
        if (min < 10) problems.add("a client completed only " + min + " requests: the server blocked it");
        if (maxLatency.get() > MAX_LATENCY.toMillis()) {
            problems.add("a request took " + maxLatency.get() + " ms (limit " + MAX_LATENCY.toMillis() + ")");
        }
        Map<String, Long> counts = new java.util.TreeMap<>();
        byCommand.forEach((k, v) -> counts.put(k, v.get()));
        return new Result(connections, seconds, total, errors.get(), min, maxLatency.get(), counts, rss, peak,
                stalledOpen, writerOpen, negotiatorOpen, stalledCut, writerCut, List.copyOf(problems));
    }

    /** A hostile client must be cut off within [bound, bound + grace] of stalling, and the log must say why. */
    private static void checkCutOff(String who, boolean stillOpen, long millis, Duration bound, String reason,
                                    ServerProcess server, List<String> problems) {
        if (stillOpen) {
            problems.add("a " + who + " was still connected at the end; the I/O bound is " + bound.toSeconds() + " s");
            return;
        }
        if (millis < 0) {
            problems.add("the server's report has no end for the " + who);
        } else if (millis < bound.toMillis() - 250 || millis > bound.plus(CUT_OFF_GRACE).toMillis()) {
            problems.add("a " + who + " was cut off " + millis + " ms after it stalled; the bound is "
                    + bound.toMillis() + " ms");
        }
        if (server != null && !server.log().contains("hard disconnect: " + reason)) {
            problems.add("the server's log does not say \"" + reason + "\" for the " + who);
        }
    }

    /** One well-behaved client: random requests on its own slice until the deadline; the number it completed. */
    private static long client(String host, int port, String export, int id, ExportModel model, long deadline,
                               Map<String, AtomicLong> byCommand, AtomicLong maxLatency) throws IOException {
        Framing framing = Framing.values()[id % 3];
        List<String> contexts = framing == Framing.SIMPLE ? List.of() : List.of(MetaContext.BASE_ALLOCATION);
        Random rng = new Random(id * 7919L + 17);
        long base = (long) id * SLICE;
        long done = 0;
        try (NbdClient c = NbdClient.connect(host, port, export, framing, contexts, 60_000)) {
            while (System.nanoTime() < deadline) {
                int kind = rng.nextInt(100);
                int length = 1 + rng.nextInt(kind < 35 ? 128 * 1024 : 512 * 1024);
                int offset = rng.nextInt(SLICE - Math.min(length, SLICE - 1));
                length = Math.min(length, SLICE - offset);
                if (rng.nextBoolean()) { // half the requests sector-aligned
                    offset &= ~511;
                    length = Math.max(512, length & ~511);
                    length = Math.min(length, SLICE - offset);
                }
                long t0 = System.nanoTime();
                String what;
                Reply r;
                if (kind < 35) {
                    what = "WRITE";
                    byte[] data = new byte[length];
                    rng.nextBytes(data);
                    r = c.write(base + offset, data, rng.nextInt(10) == 0 ? CommandFlag.FUA.bit : 0);
                    expectOk(r, what, id);
                    model.write(offset, data);
                } else if (kind < 65) {
                    what = "READ";
                    r = c.read(base + offset, length, 0);
                    expectOk(r, what, id);
                    model.checkRead(offset, r.data(), "client " + id + " READ " + offset + "+" + length);
                } else if (kind < 75) {
                    what = "WRITE_ZEROES";
                    int flags = rng.nextBoolean() ? CommandFlag.NO_HOLE.bit : 0;
                    r = c.writeZeroes(base + offset, length, flags);
                    expectOk(r, what, id);
                    model.zero(offset, length);
                } else if (kind < 80) {
                    what = "TRIM";
                    r = c.trim(base + offset, length, 0);
                    expectOk(r, what, id);
                    model.trim(offset, length);
                } else if (kind < 85) {
                    what = "FLUSH";
                    expectOk(c.flush(), what, id);
                } else {
                    what = "BLOCK_STATUS";
                    if (contexts.isEmpty()) {
                        what = "READ";
                        r = c.read(base + offset, length, 0);
                        expectOk(r, what, id);
                        model.checkRead(offset, r.data(), "client " + id + " READ");
                    } else {
                        r = c.blockStatus(base + offset, length, 0);
                        expectOk(r, what, id);
                        long pos = offset;
                        for (Descriptor d : r.status().values().iterator().next()) {
                            if ((d.flags() & MetaContext.STATE_ZERO) != 0) {
                                model.checkZero(pos, Math.min(pos + d.length(), SLICE), "client " + id + " status");
                            }
                            pos += d.length();
                            if (pos >= offset + length) break;
                        }
                    }
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                maxLatency.accumulateAndGet(ms, Math::max);
                byCommand.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
                done++;
            }
            c.disconnect();
        }
        return done;
    }

    private static void expectOk(Reply r, String what, int id) throws IOException {
        if (!r.ok()) throw new IOException("client " + id + ": " + what + " failed with error " + r.error());
    }

    /** A misbehaving client running beside the others. */
    static final class Hostile implements AutoCloseable {
        private final Socket socket;
        private final Thread thread;
        private volatile String problem = "";
        /** When the connection was made (nanoTime). */
        final long connectedAt = System.nanoTime();
        /** When it began to stall the server (its burst sent, or its request's first byte), or null. */
        private volatile java.time.Instant stalledAt;

        private Hostile(Socket socket, Thread thread) {
            this.socket = socket;
            this.thread = thread;
        }

        String problem() { return problem; }

        /** Milliseconds from its stall to the end of its connection in the server's report, or -1. */
        long cutOffMillis(Map<Integer, java.time.Instant> endsByPeerPort) {
            java.time.Instant end = endsByPeerPort.get(socket.getLocalPort());
            java.time.Instant began = stalledAt;
            return end == null || began == null ? -1 : Duration.between(began, end).toMillis();
        }

        /**
         * Whether the server still has the connection: nothing to read yet and no end of stream (a stalled reader's
         * socket holds replies, so for it only an error or end of stream while draining briefly counts as closed).
         */
        boolean stillOpen() {
            try {
                socket.setSoTimeout(200);
                byte[] buf = new byte[64 * 1024];
                long end = System.nanoTime() + 1_000_000_000L;
                while (System.nanoTime() < end) {
                    int n = socket.getInputStream().read(buf);
                    if (n < 0) return false;
                }
                return true;
            } catch (java.net.SocketTimeoutException e) {
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public void close() throws Exception {
            socket.close();
            thread.interrupt();
            thread.join(5000);
        }

        /** Negotiates simple replies and sends 64 READs of 32 MiB, then never reads a byte. */
        static Hostile stalledReader(String host, int port, String export) throws IOException {
            NbdClient c = NbdClient.connect(host, port, export, Framing.SIMPLE, List.of(), 60_000);
            Socket s = socketOf(c);
            Thread t = new Thread(() -> { }, "stalled-reader");
            Hostile h = new Hostile(s, t);
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < 64; i++) {
                out.write(new Request(0, CommandType.READ.value, i, 0, 32 << 20).encodeCompact());
            }
            out.flush();
            h.stalledAt = java.time.Instant.now(); // the replies fill the socket buffers within milliseconds
            t.start();
            return h;
        }

        /** Negotiates, then sends a 4 KiB WRITE one byte a second until the deadline. */
        static Hostile slowWriter(String host, int port, String export, long deadline) throws IOException {
            NbdClient c = NbdClient.connect(host, port, export, Framing.STRUCTURED, List.of(), 60_000);
            Socket s = socketOf(c);
            byte[] bytes = ByteBuffer.allocate(28 + 4096).put(new Request(0, CommandType.WRITE.value, 1, 0, 4096)
                    .encodeCompact()).array();
            return dribble(s, bytes, deadline, "slow-writer");
        }

        /**
         * The hostile sizes of the option phase, while the others work: a 1 MiB option (the most the server parses:
         * ERR_INVALID), a 32 MiB one (skipped: ERR_TOO_BIG), then unknown options until the server's limit of 4096
         * options per connection cuts it off. Anything else is a problem.
         */
        static Hostile flooder(String host, int port) throws IOException {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(host, port), 10_000);
            s.setSoTimeout(60_000);
            Hostile[] h = new Hostile[1];
            Thread t = new Thread(() -> {
                try {
                    java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(s.getInputStream()));
                    OutputStream out = new java.io.BufferedOutputStream(s.getOutputStream(), 1 << 16);
                    in.readFully(new byte[18]);
                    out.write(ByteBuffer.allocate(4).putInt(3).array());
                    int[] expected = {0x80000003, 0x80000009};
                    int[] lengths = {1 << 20, 32 << 20};
                    int sent = 0;
                    for (int i = 0; i < 2; i++) {
                        out.write(ByteBuffer.allocate(16).putLong(0x49484156454F5054L).putInt(6).putInt(lengths[i]).array());
                        out.write(new byte[lengths[i]]);
                        out.flush();
                        sent++;
                        int type = replyType(in);
                        if (type != expected[i]) h[0].problem = "option of " + lengths[i] + " bytes answered with 0x" + Integer.toHexString(type);
                    }
                    while (sent < 4200) {
                        out.write(ByteBuffer.allocate(16).putLong(0x49484156454F5054L).putInt(0x7654321).putInt(0).array());
                        out.flush();
                        sent++;
                        int type;
                        try {
                            type = replyType(in);
                        } catch (java.io.EOFException e) {
                            if (sent != 4097) h[0].problem = "cut off at option " + sent + ", not after 4096";
                            return;
                        }
                        if (type != 0x80000001) h[0].problem = "unknown option answered with 0x" + Integer.toHexString(type);
                    }
                    h[0].problem = "still negotiating after 4200 options";
                } catch (IOException e) {
                    h[0].problem = "flooder: " + e;
                }
            }, "option-flooder");
            t.setDaemon(true);
            h[0] = new Hostile(s, t);
            t.start();
            return h[0];
        }

        private static int replyType(java.io.DataInputStream in) throws IOException {
            in.readLong();
            in.readInt();
            int type = in.readInt();
            in.readFully(new byte[in.readInt()]);
            return type;
        }

        /** Waits for a hostile client's own work to end (the flooder's). */
        void await(long millis) throws InterruptedException { thread.join(millis); }

        /** Connects and sends its negotiation one byte a second until the deadline. */
        static Hostile slowNegotiator(String host, int port, long deadline) throws IOException {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(host, port), 10_000);
            // A GO whose 1000-byte payload takes longer to dribble than any run: it stays in the option phase.
            byte[] bytes = ByteBuffer.allocate(4 + 16 + 1000).putInt(3).putLong(0x49484156454F5054L).putInt(7).putInt(1000)
                    .putInt(994).array();
            return dribble(s, bytes, deadline, "slow-negotiator");
        }

        private static Hostile dribble(Socket s, byte[] bytes, long deadline, String name) {
            Hostile[] h = new Hostile[1];
            Thread t = new Thread(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    for (int i = 0; i < bytes.length && System.nanoTime() < deadline; i++) {
                        out.write(bytes[i]);
                        out.flush();
                        if (i == 0) h[0].stalledAt = java.time.Instant.now();
                        Thread.sleep(1000);
                    }
                } catch (IOException | InterruptedException e) {
                    // cut off by the server, or closed at the end
                }
            }, name);
            t.setDaemon(true);
            h[0] = new Hostile(s, t);
            t.start();
            return h[0];
        }

        private static Socket socketOf(NbdClient c) {
            return c.socket();
        }
    }
}
