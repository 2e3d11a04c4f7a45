package dev.nbdref.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * An nbdref server run as a separate process, exactly as a user starts it:
 * {@code java -jar nbdref.jar serve --listen 127.0.0.1:0 ARGS...}. It learns the ephemeral port from the
 * URI lines the server prints on stdout (one per export) and keeps stderr as the log to show on failure.
 * {@link #close()} sends SIGTERM and waits, then kills by force; it only ever touches the process it started.
 *
 * <p>The jar comes from the system property {@code nbdref.jar} (set by failsafe). The property
 * {@code nbdref.command} (a space-separated command prefix, e.g. {@code ./nbdref}) replaces
 * {@code java -jar JAR} so the same suite can drive the launcher script or another build.
 */
public final class NbdrefProcess implements AutoCloseable {

    private static final long STARTUP_TIMEOUT_MS = 30_000;
    private static final long STOP_TIMEOUT_MS = 10_000;
    private static final int LOG_LIMIT = 256 * 1024;
    /** nbds:// is what a FORCEDTLS server (or a tls-only export) prints. */
    private static final Pattern URI_LINE = Pattern.compile("nbds?://127\\.0\\.0\\.1:(\\d+)/(.*)");
    /** Queued after the last stdout line, so a server that dies early is noticed at once. */
    private static final String EOF = "\u0000EOF";

    private final List<String> command;
    private final Process process;
    private final StringBuilder log = new StringBuilder();
    private final List<String> otherStdout = new ArrayList<>();
    private final Map<String, String> uris = new LinkedHashMap<>();
    private int port = -1;
    private Integer exitCode;

    private NbdrefProcess(List<String> command, int expectedExports) {
        this.command = command;
        try {
            process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
        BlockingQueue<String> stdoutLines = new LinkedBlockingQueue<>();
        daemon("nbdref-stdout", () -> pump(process.getInputStream(), stdoutLines::add, () -> stdoutLines.add(EOF)));
        daemon("nbdref-stderr", () -> pump(process.getErrorStream(), this::appendLog, () -> { }));
        awaitUris(stdoutLines, expectedExports);
    }

    /**
     * Starts a server with these arguments after {@code serve --listen 127.0.0.1:0}; it expects one URI per
     * {@code --export} (or the single default export when there is none).
     */
    public static NbdrefProcess start(String... serveArgs) {
        long exports = Arrays.stream(serveArgs).filter("--export"::equals).count();
        return start((int) Math.max(1, exports), serveArgs);
    }

    /** As {@link #start(String...)}, for configurations (e.g. {@code --config}) whose export count is not visible. */
    public static NbdrefProcess start(int expectedExports, String... serveArgs) {
        List<String> command = new ArrayList<>(launcher());
        command.addAll(List.of("serve", "--listen", "127.0.0.1:0"));
        command.addAll(Arrays.asList(serveArgs));
        return new NbdrefProcess(command, expectedExports);
    }

    /** The URI the server printed for export {@code name}. */
    public String uri(String name) {
        String uri = uris.get(name);
        if (uri == null) {
            fail("nbdref printed no URI for export '" + name + "'; it printed " + uris.values() + "\n" + logReport());
        }
        return uri;
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    /** The server's stderr so far (its last {@value #LOG_LIMIT} characters). */
    public String log() {
        synchronized (log) {
            return log.toString();
        }
    }

    /** A block for failure messages: the command line and the tail of the log. */
    public String logReport() {
        String text = log();
        String tail = text.length() > 8192 ? "...\n" + text.substring(text.length() - 8192) : text;
        return "--- nbdref (" + PeerResult.shellQuoted(command) + ") stderr ---\n" + tail
                + (otherStdout.isEmpty() ? "" : "--- nbdref unexpected stdout ---\n" + String.join("\n", otherStdout));
    }

    /** Sends SIGTERM, waits up to 10 s (then kills by force) and returns the exit code. Idempotent. */
    public synchronized int stop() {
        if (exitCode == null) {
            process.destroy();
            try {
                if (!process.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                    appendLog("[test harness] nbdref did not stop within 10 s of SIGTERM; killing it");
                    process.destroyForcibly();
                    process.waitFor(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
            exitCode = process.isAlive() ? -1 : process.exitValue();
        }
        return exitCode;
    }

    @Override
    public void close() {
        stop();
    }

    private static List<String> launcher() {
        String custom = System.getProperty("nbdref.command");
        if (custom != null && !custom.isBlank()) {
            return List.of(custom.trim().split("\\s+"));
        }
        String jar = System.getProperty("nbdref.jar", "target/nbdref.jar");
        if (!Files.isRegularFile(Path.of(jar))) {
            fail("nbdref jar not found at " + jar + ": build it first (mvn package), or run the suite with mvn verify");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "-jar", jar);
    }

    private void awaitUris(BlockingQueue<String> stdoutLines, int expectedExports) {
        long deadline = System.currentTimeMillis() + STARTUP_TIMEOUT_MS;
        try {
            while (uris.size() < expectedExports) {
                long left = deadline - System.currentTimeMillis();
                String line = left > 0 ? stdoutLines.poll(left, TimeUnit.MILLISECONDS) : null;
                if (line == null || line.equals(EOF)) {
                    String why = line == null ? "did not print " + expectedExports + " URI line(s) within 30 s"
                            : "closed stdout (exit code " + waitBriefly() + ") after " + uris.size() + " URI line(s)";
                    stop();
                    fail("nbdref " + why + "\n" + logReport());
                }
                accept(line);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop();
            throw new IllegalStateException("interrupted while waiting for nbdref to start", e);
        }
    }

    private void accept(String line) {
        Matcher m = URI_LINE.matcher(line.trim());
        if (!m.matches()) {
            otherStdout.add(line);
            return;
        }
        int linePort = Integer.parseInt(m.group(1));
        if (port >= 0 && port != linePort) {
            stop();
            fail("nbdref printed URIs with different ports: " + uris.values() + " and " + line + "\n" + logReport());
        }
        port = linePort;
        uris.put(m.group(2), line.trim());
    }

    private Object waitBriefly() {
        try {
            return process.waitFor(2, TimeUnit.SECONDS) ? process.exitValue() : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    private void appendLog(String line) {
        synchronized (log) {
            log.append(line).append('\n');
            if (log.length() > LOG_LIMIT) {
                log.delete(0, log.length() - LOG_LIMIT);
            }
        }
    }

    private static void pump(InputStream stream, Consumer<String> sink, Runnable atEnd) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                sink.accept(line);
            }
        } catch (IOException ignored) {
            // The stream closes when the process ends; nothing more to read.
        } finally {
            atEnd.run();
        }
    }

    private static void daemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
    }
}
