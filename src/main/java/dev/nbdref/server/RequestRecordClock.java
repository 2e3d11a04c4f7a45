package dev.nbdref.server;

import dev.nbdref.tls.RecordObserver;

import java.util.function.BooleanSupplier;

/**
 * Under TLS, starts a request's clock at the first ciphertext byte of the record that carries its first bytes,
 * not when that record has been decrypted: otherwise a client could trickle the record and hold the reader thread
 * for as long as it liked, with the {@link IoWatchdog} seeing an idle connection.
 *
 * <p>Only records that begin while the reader is idle (waiting for a message's first byte) matter; within a
 * message, {@link ClientInput} times every read itself. A record that completes without carrying plaintext (a
 * TLS 1.3 KeyUpdate, an empty record) leaves the connection idle again: the next record's start clears its time,
 * and a finished record's time no longer grows, so a connection that idles after one is never cut off for it.
 * All calls come from the connection's reader thread, the only one that touches the clock's writing side.
 */
final class RequestRecordClock implements RecordObserver {
    private final StallClock clock;
    private final BooleanSupplier idle;

    /** @param idle true while the reader waits for the first byte of a message */
    RequestRecordClock(StallClock clock, BooleanSupplier idle) {
        this.clock = clock;
        this.idle = idle;
    }

    @Override
    public void recordStarted() {
        if (!idle.getAsBoolean()) return;
        clock.clear(); // a record before this one carried nothing for the reader
        clock.block();
    }

    @Override
    public void recordFinished() {
        if (idle.getAsBoolean()) clock.unblock(); // its time counts if it carries the request's first bytes
    }
}
