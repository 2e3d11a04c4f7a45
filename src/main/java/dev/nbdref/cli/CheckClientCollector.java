package dev.nbdref.cli;

import dev.nbdref.conformance.ConnectionReport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;

/**
 * Collects the report of each connection as the server finishes it, and tells when the client's connections
 * have settled: once no report has arrived for the settle period after the client exited, the server has read
 * everything the client sent. Only then is the server shut down, because a shutdown changes its answers
 * (ERR_SHUTDOWN, ESHUTDOWN) and could otherwise be blamed on the client.
 */
final class CheckClientCollector implements Consumer<ConnectionReport> {
    private final List<ConnectionReport> reports = new ArrayList<>();
    private long lastArrival = System.nanoTime();

    @Override
    public synchronized void accept(ConnectionReport report) {
        reports.add(report);
        lastArrival = System.nanoTime();
        notifyAll();
    }

    /** Waits until {@code quiet} has passed since {@code sinceNanos} (a System.nanoTime) and since the last report. */
    synchronized void awaitQuiet(long sinceNanos, Duration quiet) throws InterruptedException {
        long quietNanos = quiet.toNanos();
        while (true) {
            long from = Math.max(sinceNanos, lastArrival);
            long left = from + quietNanos - System.nanoTime();
            if (left <= 0) return;
            wait(Math.max(1, left / 1_000_000), 0);
        }
    }

    /** The reports in connection order (c1, c2, ...), whatever order the connections ended in. */
    synchronized List<ConnectionReport> reports() {
        List<ConnectionReport> sorted = new ArrayList<>(reports);
        sorted.sort(Comparator.comparingLong(CheckClientCollector::number).thenComparing(ConnectionReport::connectionId));
        return sorted;
    }

    private static long number(ConnectionReport r) {
        try {
            return Long.parseLong(r.connectionId().replaceAll("\\D", ""));
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }
}
