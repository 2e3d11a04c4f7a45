package dev.nbdref.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the client under test as a child process with the terminal's streams, as if it had been started by hand,
 * and stops it (with everything it started) when the timeout strikes or check-client itself is stopped.
 */
final class CheckClientProcess {

    /**
     * @param exitStatus null when the client never started or was killed
     * @param failure    why the client could not be judged (not found, timeout), or null
     */
    record Outcome(Integer exitStatus, boolean timedOut, Duration elapsed, String failure) {
    }

    private CheckClientProcess() {
    }

    static Outcome run(List<String> command, Map<String, String> env, Duration timeout) throws InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        builder.environment().putAll(env);
        long start = System.nanoTime();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return new Outcome(null, false, Duration.ZERO, "cannot start the client \"" + command.get(0) + "\": "
                    + e.getMessage());
        }
        // A check-client stopped by SIGTERM or Ctrl-C must not leave the client behind, still connected.
        Thread reaper = new Thread(() -> killTree(process), "nbdref-client-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
        try {
            if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return new Outcome(process.exitValue(), false, Duration.ofNanos(System.nanoTime() - start), null);
            }
            killTree(process);
            return new Outcome(null, true, Duration.ofNanos(System.nanoTime() - start),
                    "the client was still running after the timeout of " + timeout.toSeconds() + " s and was killed");
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException e) {
                // the JVM is already shutting down and the hook is running: nothing to undo
            }
        }
    }

    /** The client and its descendants: only what this run started. */
    private static void killTree(Process process) {
        if (!process.isAlive()) return;
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
