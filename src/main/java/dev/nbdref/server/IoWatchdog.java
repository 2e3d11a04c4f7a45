package dev.nbdref.server;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;

/**
 * The transmission phase's time limits (ServerConfig.ioTimeout). Java socket I/O has no deadline of its own, so
 * this checks two clocks from the connection's timer thread and, when one passes the bound, cuts the connection
 * off (closes the socket, which wakes every thread blocked on it, over TLS too, since TLS sits on the socket's
 * streams):
 * <ul>
 *   <li>a request whose first byte has arrived must arrive whole (header and payload) within the bound; time
 *       between requests is not counted, so an idle connection may stay open as long as it likes;</li>
 *   <li>a reply write must make progress within the bound; a client that reads nothing while the server has
 *       replies for it would otherwise hold its workers and buffers for ever.</li>
 * </ul>
 * The spec names no such timeout. It lets a server hard-disconnect a client whose behaviour amounts to a denial
 * of service (it says so for option haggling and for oversized payloads); a client that stops halfway through a
 * message, or stops taking its replies, while holding server threads and buffers is treated the same way. A
 * bound of zero turns this off for anyone who wants the letter of the spec.
 */
final class IoWatchdog {
    /** Checks come at most this far apart, so a cut-off comes at most this late. */
    private static final long MAX_PERIOD_MILLIS = 1000;
    private static final long MIN_PERIOD_MILLIS = 10;

    private final Duration bound;
    private final LongUnaryOperator requestWait;
    private final LongUnaryOperator writeStall;
    private final Runnable cutOff;
    private volatile String reason;
    private volatile ScheduledFuture<?> checks;

    /**
     * @param bound       zero for no limit
     * @param requestWait nanoseconds the request being read has waited on the client, as of a nanoTime
     * @param writeStall  nanoseconds the reply write in progress has gone without progress, as of a nanoTime
     * @param cutOff      ends the connection at once
     */
    IoWatchdog(Duration bound, LongUnaryOperator requestWait, LongUnaryOperator writeStall, Runnable cutOff) {
        this.bound = bound;
        this.requestWait = requestWait;
        this.writeStall = writeStall;
        this.cutOff = cutOff;
    }

    /** A watchdog that never fires (for connections run without a timer, as the fuzz targets do). */
    static IoWatchdog disabled() { return new IoWatchdog(Duration.ZERO, now -> 0, now -> 0, () -> { }); }

    /** Starts checking on {@code timers}; nothing happens when the bound is zero. */
    void start(ScheduledExecutorService timers) {
        if (bound.isZero()) return;
        long period = Math.max(MIN_PERIOD_MILLIS, Math.min(MAX_PERIOD_MILLIS, bound.toMillis() / 4));
        checks = timers.scheduleWithFixedDelay(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    void stop() {
        ScheduledFuture<?> c = checks;
        if (c != null) c.cancel(false);
    }

    /** True once the watchdog has cut the connection off. */
    boolean fired() { return reason != null; }

    /** Why it cut the connection off ("request not complete within 60 s"), or null. */
    String reason() { return reason; }

    private void check() {
        if (reason != null) return;
        long now = System.nanoTime();
        long limit = bound.toNanos();
        if (requestWait.applyAsLong(now) > limit) {
            fire("request not complete within " + describe(bound));
        } else if (writeStall.applyAsLong(now) > limit) {
            fire("client read no reply data for " + describe(bound));
        }
    }

    private void fire(String why) {
        reason = why;
        stop();
        cutOff.run();
    }

    /** "60 s", or "1500 ms" for a bound that is not whole seconds. */
    static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
