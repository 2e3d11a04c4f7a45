package dev.nbdref.server;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The watchdog's decisions and the clocks it reads, without sockets. */
class IoWatchdogTest {
    private static final long MS = 1_000_000L;
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stopTimers() { timers.shutdownNow(); }

    @Test
    void aRequestWaitingPastTheBoundCutsTheConnectionOffOnce() throws Exception {
        AtomicLong cuts = new AtomicLong();
        CountDownLatch cut = new CountDownLatch(1);
        IoWatchdog w = new IoWatchdog(Duration.ofMillis(200), now -> 201 * MS, now -> 0,
                () -> { cuts.incrementAndGet(); cut.countDown(); });
        w.start(timers);
        assertTrue(cut.await(5, TimeUnit.SECONDS), "the watchdog did not fire");
        Thread.sleep(300); // further checks must not cut again
        assertEquals(1, cuts.get());
        assertTrue(w.fired());
        assertEquals("request not complete within 200 ms", w.reason());
    }

    @Test
    void aWriteWithoutProgressPastTheBoundCutsTheConnectionOff() throws Exception {
        CountDownLatch cut = new CountDownLatch(1);
        IoWatchdog w = new IoWatchdog(Duration.ofSeconds(1), now -> 0, now -> 1001 * MS, cut::countDown);
        w.start(timers);
        assertTrue(cut.await(5, TimeUnit.SECONDS), "the watchdog did not fire");
        assertEquals("client read no reply data for 1 s", w.reason());
    }

    @Test
    void withinTheBoundOrWithoutOneNothingHappens() throws Exception {
        IoWatchdog within = new IoWatchdog(Duration.ofMillis(200), now -> 199 * MS, now -> 199 * MS, () -> { });
        IoWatchdog unbounded = new IoWatchdog(Duration.ZERO, now -> Long.MAX_VALUE, now -> Long.MAX_VALUE, () -> { });
        within.start(timers);
        unbounded.start(timers);
        Thread.sleep(500);
        assertFalse(within.fired());
        assertFalse(unbounded.fired());
        assertNull(unbounded.reason());
    }

    @Test
    void theStallClockCountsOnlyTimeSpentBlocked() throws Exception {
        StallClock clock = new StallClock();
        assertEquals(0, clock.blockedNanos(System.nanoTime()));
        clock.block();
        Thread.sleep(50);
        long during = clock.blockedNanos(System.nanoTime());
        assertTrue(during >= 45 * MS, "blocked for " + during / MS + " ms while blocking");
        clock.unblock();
        long after = clock.blockedNanos(System.nanoTime());
        Thread.sleep(50); // not blocked: must not count
        assertEquals(after, clock.blockedNanos(System.nanoTime()));
        clock.unblock(); // a stray unblock adds nothing
        assertEquals(after, clock.blockedNanos(System.nanoTime()));
        clock.clear();
        assertEquals(0, clock.blockedNanos(System.nanoTime()));
    }

    @Test
    void timedOutputShowsAStallOnlyWhileAPieceIsBlocked() throws Exception {
        StallClock clock = new StallClock();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        OutputStream blocking = new OutputStream() {
            @Override public void write(int b) { sink.write(b); }

            @Override public void write(byte[] b, int off, int len) throws IOException {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                sink.write(b, off, len);
            }
        };
        TimedOutput out = new TimedOutput(blocking, clock);
        Thread writer = new Thread(() -> {
            try {
                out.write(new byte[3 * TimedOutput.PIECE + 1]);
            } catch (IOException ignored) {
                // not expected
            }
        });
        writer.start();
        assertTrue(inside.await(5, TimeUnit.SECONDS));
        Thread.sleep(50);
        assertTrue(clock.blockedNanos(System.nanoTime()) >= 45 * MS, "a blocked piece shows as a stall");
        release.countDown();
        writer.join(5000);
        assertEquals(3 * TimedOutput.PIECE + 1, sink.size(), "written in pieces, all of it");
        assertEquals(0, clock.blockedNanos(System.nanoTime()), "nothing pending after the write");
    }
}
