package dev.nbdref.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code nbdref serve} with TLS options, run as a process. {@link NbdrefProcess} waits for {@code nbd://} lines,
 * but a FORCEDTLS server (and a tls-only export) prints {@code nbds://} ones, so the TLS suites use this
 * instead: the same contract (ephemeral port from the printed URIs, stderr kept as the log, SIGTERM on close,
 * only its own process touched), both URI schemes.
 */
final class TlsServerProcess implements AutoCloseable {
    private static final long STARTUP_TIMEOUT_MS = 30_000;
    private static final Pattern URI_LINE = Pattern.compile("(nbds?)://127\\.0\\.0\\.1:(\\d+)/(.*)");
    private static final String EOF = "\u0000EOF";

    private final List<String> command;
    private final Process process;
    private final StringBuffer log = new StringBuffer();
    private final Map<String, String> uris = new LinkedHashMap<>();
    private int port = -1;

    private TlsServerProcess(List<String> command, int expectedExports) {
        this.command = command;
        try {
            process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        daemon(() -> pump(process.getInputStream(), lines::add, () -> lines.add(EOF)));
        daemon(() -> pump(process.getErrorStream(), line -> log.append(line).append('\n'), () -> { }));
        awaitUris(lines, expectedExports);
    }

    /** {@code serve --listen 127.0.0.1:0 ARGS}; one URI is expected per --export (one if there is none). */
    static TlsServerProcess start(String... serveArgs) {
        long exports = Arrays.stream(serveArgs).filter("--export"::equals).count();
        List<String> command = new ArrayList<>(TlsPkiTool.launcher());
        command.addAll(List.of("serve", "--listen", "127.0.0.1:0"));
        command.addAll(Arrays.asList(serveArgs));
        return new TlsServerProcess(command, (int) Math.max(1, exports));
    }

    /** The URI printed for the export, e.g. nbds://127.0.0.1:PORT/disk. */
    String uri(String name) {
        String uri = uris.get(name);
        if (uri == null) fail("nbdref printed no URI for export '" + name + "': " + uris.values() + "\n" + logReport());
        return uri;
    }

    int port() {
        return port;
    }

    String log() {
        return log.toString();
    }

    /**
     * Whether the log contains {@code text} within 10 s: the server logs a rejected handshake after the peer
     * has already given up, so a check right after the peer exits would race with it.
     */
    boolean logShows(String text) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!log().contains(text)) {
            if (System.nanoTime() - deadline > 0) return false;
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    String logReport() {
        return "--- nbdref (" + PeerResult.shellQuoted(command) + ") stderr ---\n" + log();
    }

    /** Fails the test unless the peer succeeded, showing its output and this server's log. */
    PeerResult expectSuccess(PeerResult result) {
        if (!result.succeeded()) fail("peer command failed\n" + result.describe() + "\n" + logReport());
        return result;
    }

    /** SIGTERM, then up to 10 s for a clean exit (nbdref exits 0 on SIGTERM), then force. */
    int stop() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        return process.isAlive() ? -1 : process.exitValue();
    }

    @Override
    public void close() {
        stop();
    }

    private void awaitUris(BlockingQueue<String> lines, int expected) {
        long deadline = System.currentTimeMillis() + STARTUP_TIMEOUT_MS;
        try {
            while (uris.size() < expected) {
                long left = deadline - System.currentTimeMillis();
                String line = left > 0 ? lines.poll(left, TimeUnit.MILLISECONDS) : null;
                if (line == null || line.equals(EOF)) {
                    stop();
                    fail("nbdref did not print " + expected + " URI line(s)\n" + logReport());
                }
                Matcher m = URI_LINE.matcher(line.trim());
                if (m.matches()) {
                    port = Integer.parseInt(m.group(2));
                    uris.put(m.group(3), line.trim());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
            throw new IllegalStateException("interrupted while waiting for nbdref to start", e);
        }
    }

    private static void pump(InputStream stream, Consumer<String> sink, Runnable atEnd) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) sink.accept(line);
        } catch (IOException ignored) {
            // the process ended
        } finally {
            atEnd.run();
        }
    }

    private static void daemon(Runnable body) {
        Thread thread = new Thread(body, "nbdref-tls-pump");
        thread.setDaemon(true);
        thread.start();
    }
}
