package dev.nbdref.server;

import java.nio.ByteBuffer;
import java.util.concurrent.Semaphore;

/**
 * Bounds the bytes held in request and reply buffers across all connections, so memory stays flat
 * however many clients send large requests: a request waits for room instead of allocating more.
 */
final class BufferBudget {
    private final Semaphore bytes;
    private final int capacity;

    BufferBudget(int capacity) {
        this.capacity = capacity;
        this.bytes = new Semaphore(capacity, true);
    }

    /** A heap buffer of {@code size} bytes, counted against the budget until released. */
    ByteBuffer take(int size) throws InterruptedException {
        if (size > capacity) throw new IllegalArgumentException("buffer of " + size + " exceeds the budget " + capacity);
        bytes.acquire(size);
        try {
            return ByteBuffer.allocate(size);
        } catch (OutOfMemoryError e) {
            bytes.release(size);
            throw e;
        }
    }

    void release(ByteBuffer buffer) { bytes.release(buffer.capacity()); }
}
