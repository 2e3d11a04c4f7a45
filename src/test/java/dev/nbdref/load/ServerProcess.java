package dev.nbdref.load;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The nbdref jar run as a process, as a user runs it ({@code java -jar nbdref.jar serve --listen 127.0.0.1:0 ...}),
 * for the fault and load tests: the port comes from the URI lines on stdout, stderr is kept (its tail) for failure
 * messages, {@link #kill()} is SIGKILL, {@link #stop()} SIGTERM; both act only on this process, by its handle.
 */
public final class ServerProcess implements AutoCloseable {
    private static final Pattern URI = Pattern.compile("nbd://127\\.0\\.0\\.1:(\\d+)/(.*)");
    private static final int LOG_TAIL = 64 * 1024;

    private final Process process;
    private final StringBuilder log = new StringBuilder();
    private volatile int port = -1;

    private ServerProcess(Process process) {
        this.process = process;
    }

    /** The jar from the system property {@code nbdref.jar} (set by failsafe), else target/nbdref.jar. */
    public static Path jar() {
        Path jar = Path.of(System.getProperty("nbdref.jar", "target/nbdref.jar"));
        if (!Files.isRegularFile(jar)) throw new IllegalStateException("nbdref jar not found at " + jar + ": run mvn package");
        return jar;
    }

    /** Starts {@code serve --listen 127.0.0.1:0 ARGS} and waits (up to 30 s) for its {@code exports} URI lines. */
    public static ServerProcess start(Path jar, List<String> jvmOptions, int exports, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", jar.toString(), "serve", "--listen", "127.0.0.1:0"));
        cmd.addAll(List.of(args));
        ServerProcess s = new ServerProcess(new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start());
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        pump(s.process.getInputStream(), lines::add, () -> lines.add("\u0000"));
        pump(s.process.getErrorStream(), line -> append(s.log, line), () -> { });
        int seen = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try {
            while (seen < exports) {
                long left = deadline - System.nanoTime();
                String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
                if (line == null || line.equals("\u0000")) {
                    s.process.destroyForcibly();
                    throw new IOException("nbdref did not print its URIs (" + cmd + "):\n" + s.log());
                }
                Matcher m = URI.matcher(line.trim());
                if (m.matches()) {
                    s.port = Integer.parseInt(m.group(1));
                    seen++;
                }
            }
        } catch (InterruptedException e) {
            s.process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting nbdref", e);
        }
        return s;
    }

    private static void append(StringBuilder log, String line) {
        synchronized (log) {
            log.append(line).append('\n');
            if (log.length() > 4 * LOG_TAIL) log.delete(0, log.length() - LOG_TAIL);
        }
    }

    private static String tail(StringBuilder log) {
        synchronized (log) {
            return log.length() > LOG_TAIL ? log.substring(log.length() - LOG_TAIL) : log.toString();
        }
    }

    private static void pump(InputStream in, java.util.function.Consumer<String> sink, Runnable atEnd) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) sink.accept(line);
            } catch (IOException ignored) {
                // the process went away
            } finally {
                atEnd.run();
            }
        }, "nbdref-pipe");
        t.setDaemon(true);
        t.start();
    }

    public int port() { return port; }

    public long pid() { return process.pid(); }

    public boolean alive() { return process.isAlive(); }

    /** The tail of the server's stderr. */
    public String log() { return tail(log); }

    /** A line of /proc/PID/status in KiB (VmRSS: resident now, VmHWM: peak resident), or -1. */
    public long statusKib(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** SIGKILL, then waits for the process to be gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM (a clean shutdown), up to 20 s, then SIGKILL; the exit status, or -1 when it had to be killed. */
    public int stop() throws InterruptedException {
        process.destroy();
        if (process.waitFor(20, TimeUnit.SECONDS)) return process.exitValue();
        kill();
        return -1;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) stop();
    }
}
