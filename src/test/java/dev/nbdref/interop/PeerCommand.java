package dev.nbdref.interop;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One command line of a peer program, run to completion with a timeout so that no test can hang.
 * Output goes to temporary files rather than pipes: a chatty peer can never block on a full pipe,
 * and nothing has to be drained by extra threads.
 */
public final class PeerCommand {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);

    private final List<String> command = new ArrayList<>();
    private Duration timeout = DEFAULT_TIMEOUT;

    /** Arguments may be any objects (paths, numbers); they are passed as their {@code toString()}. */
    public PeerCommand(String program, Object... args) {
        command.add(program);
        for (Object arg : args) {
            command.add(String.valueOf(arg));
        }
    }

    public static PeerCommand of(String program, Object... args) {
        return new PeerCommand(program, args);
    }

    /** A python3-libnbd script run by the system python3 (see {@link Peer#PYTHON}). */
    public static PeerCommand python(Path script, Object... args) {
        Peer.requirePythonLibnbd();
        Object[] all = new Object[args.length + 1];
        all[0] = script;
        System.arraycopy(args, 0, all, 1, args.length);
        return new PeerCommand(Peer.PYTHON, all);
    }

    public PeerCommand timeout(Duration limit) {
        this.timeout = limit;
        return this;
    }

    public List<String> commandLine() {
        return List.copyOf(command);
    }

    /** Runs the command; a missing program fails the test (see {@link Peer#require}). */
    public PeerResult run() {
        List<String> resolved = new ArrayList<>(command);
        resolved.set(0, Peer.require(command.get(0)).toString());
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("peer-out", ".txt");
            err = Files.createTempFile("peer-err", ".txt");
            ProcessBuilder builder = new ProcessBuilder(resolved)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            builder.environment().putAll(Peer.environment());
            long start = System.nanoTime();
            Process process = builder.start();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                stop(process);
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            return new PeerResult(command, finished ? process.exitValue() : -1,
                    Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8),
                    !finished, elapsed);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /** Ends a timed-out peer and whatever it spawned: politely first, then by force. */
    private static void stop(Process process) throws InterruptedException {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        children.forEach(ProcessHandle::destroy);
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            children.forEach(ProcessHandle::destroyForcibly);
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // A leftover temp file is harmless; the test result matters more.
            }
        }
    }
}
