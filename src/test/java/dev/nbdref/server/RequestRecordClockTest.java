package dev.nbdref.server;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RequestRecordClock: a TLS record that begins while the reader is idle runs the request clock until it has
 * arrived; the next record's start forgets a record that carried nothing; records within a message leave the clock
 * to ClientInput.
 */
class RequestRecordClockTest {
    private static final long MS = 1_000_000;

    @Test
    void anIdleConnectionsRecordRunsTheClockUntilItHasArrived() throws Exception {
        StallClock clock = new StallClock();
        RequestRecordClock records = new RequestRecordClock(clock, () -> true);
        assertEquals(0, clock.blockedNanos(System.nanoTime()));
        records.recordStarted();
        Thread.sleep(50);
        long during = clock.blockedNanos(System.nanoTime());
        assertTrue(during >= 50 * MS, "a record arriving for 50 ms counted " + during / MS + " ms");
        records.recordFinished();
        long after = clock.blockedNanos(System.nanoTime());
        Thread.sleep(50);
        assertEquals(after, clock.blockedNanos(System.nanoTime()), "a finished record's time went on growing");
    }

    @Test
    void aNewRecordForgetsTheTimeOfOneThatCarriedNothing() throws Exception {
        StallClock clock = new StallClock();
        RequestRecordClock records = new RequestRecordClock(clock, () -> true);
        records.recordStarted();
        Thread.sleep(50);
        records.recordFinished();
        records.recordStarted();
        long now = System.nanoTime();
        assertTrue(clock.blockedNanos(now) < 50 * MS, "the earlier record's time still counts: "
                + clock.blockedNanos(now) / MS + " ms");
        records.recordFinished();
    }

    @Test
    void recordsWithinAMessageAreLeftToClientInput() throws Exception {
        StallClock clock = new StallClock();
        AtomicBoolean idle = new AtomicBoolean(false);
        RequestRecordClock records = new RequestRecordClock(clock, idle::get);
        records.recordStarted();
        Thread.sleep(20);
        records.recordFinished();
        assertEquals(0, clock.blockedNanos(System.nanoTime()));
    }
}
