package dev.nbdref.server;

import java.nio.ByteBuffer;
import java.util.concurrent.Semaphore;

/**
 * Bounds the bytes held in request and reply buffers, so memory stays flat however many clients send large
 * requests: a request waits for room instead of allocating more. Budgets nest: each connection draws from
 * its own slice first and then from the server-wide budget, so one client that stops reading its replies can
 * pin at most its slice, never the whole server's memory.
 */
final class BufferBudget {
    private final Semaphore bytes;
    private final int capacity;
    private final BufferBudget parent;

    BufferBudget(int capacity) { this(capacity, null); }

    private BufferBudget(int capacity, BufferBudget parent) {
        this.capacity = capacity;
        this.parent = parent;
        this.bytes = new Semaphore(capacity, true);
    }

    /** A slice of this budget for one connection. */
    BufferBudget slice(int sliceCapacity) { return new BufferBudget(Math.min(sliceCapacity, capacity), this); }

    /** The largest buffer {@link #take} can ever grant. */
    int capacity() { return capacity; }

    /** A heap buffer of {@code size} bytes, counted against the budget until released. */
    ByteBuffer take(int size) throws InterruptedException {
        if (size > capacity) throw new IllegalArgumentException("buffer of " + size + " exceeds the budget " + capacity);
        bytes.acquire(size);
        try {
            if (parent != null) parent.bytes.acquire(size);
        } catch (InterruptedException e) {
            bytes.release(size);
            throw e;
        }
        try {
            return ByteBuffer.allocate(size);
        } catch (OutOfMemoryError e) {
            release(size);
            throw e;
        }
    }

    void release(ByteBuffer buffer) { release(buffer.capacity()); }

    private void release(int size) {
        if (parent != null) parent.bytes.release(size);
        bytes.release(size);
    }
}
