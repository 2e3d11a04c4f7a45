package dev.nbdref.server;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds the bytes held in request and reply buffers, so memory stays flat however many clients send large
 * requests: a request waits for room instead of allocating more. Budgets nest: each connection draws from
 * its own slice first and then from the server-wide budget, so one client that stops reading its replies can
 * pin at most its slice, never the whole server's memory.
 *
 * <p>Released buffers are kept for reuse in power-of-two size classes (up to {@link #POOL_LIMIT} bytes in
 * all), because at a gigabyte a second fresh allocations would have the heap grow between collections.
 */
final class BufferBudget {
    private static final int MIN_CLASS = 12;               // 4 KiB
    private static final int MAX_CLASS = 25;               // 32 MiB
    static final long POOL_LIMIT = 128L << 20;

    private final Semaphore bytes;
    private final int capacity;
    private final BufferBudget parent;
    private final Pool pool;

    BufferBudget(int capacity) { this(capacity, null, new Pool()); }

    private BufferBudget(int capacity, BufferBudget parent, Pool pool) {
        this.capacity = capacity;
        this.parent = parent;
        this.pool = pool;
        this.bytes = new Semaphore(capacity, true);
    }

    /** A slice of this budget for one connection; it shares the pool. */
    BufferBudget slice(int sliceCapacity) { return new BufferBudget(Math.min(sliceCapacity, capacity), this, pool); }

    /** The largest buffer {@link #take} can ever grant. */
    int capacity() { return capacity; }

    /** A heap buffer whose limit is {@code size}, counted against the budget until released. */
    ByteBuffer take(int size) throws InterruptedException {
        if (size > capacity) throw new IllegalArgumentException("buffer of " + size + " exceeds the budget " + capacity);
        int charged = Pool.chargeFor(size, capacity);
        bytes.acquire(charged);
        try {
            if (parent != null) parent.bytes.acquire(charged);
        } catch (InterruptedException e) {
            bytes.release(charged);
            throw e;
        }
        try {
            return pool.get(charged).limit(size);
        } catch (OutOfMemoryError e) {
            release(charged);
            throw e;
        }
    }

    void release(ByteBuffer buffer) {
        int charged = buffer.capacity();
        pool.put(buffer);
        release(charged);
    }

    private void release(int size) {
        if (parent != null) parent.bytes.release(size);
        bytes.release(size);
    }

    /** Free buffers by size class, shared by a server and its connections' slices. */
    private static final class Pool {
        @SuppressWarnings({"unchecked", "rawtypes"}) // generic arrays cannot be created directly
        private final ConcurrentLinkedQueue<ByteBuffer>[] free = new ConcurrentLinkedQueue[MAX_CLASS + 1];
        private final AtomicLong pooledBytes = new AtomicLong();

        Pool() {
            for (int c = MIN_CLASS; c <= MAX_CLASS; c++) free[c] = new ConcurrentLinkedQueue<>();
        }

        /** The capacity a request of {@code size} occupies: its size class when that fits the budget, else its size. */
        static int chargeFor(int size, int budget) {
            int cls = sizeClass(size);
            return cls <= MAX_CLASS && (1 << cls) <= budget ? 1 << cls : size;
        }

        private static int sizeClass(int size) {
            return Math.max(MIN_CLASS, 32 - Integer.numberOfLeadingZeros(Math.max(size, 1) - 1));
        }

        ByteBuffer get(int capacity) {
            if (Integer.bitCount(capacity) == 1) {
                int cls = Integer.numberOfTrailingZeros(capacity);
                if (cls >= MIN_CLASS && cls <= MAX_CLASS) {
                    ByteBuffer b = free[cls].poll();
                    if (b != null) {
                        pooledBytes.addAndGet(-capacity);
                        return b.clear();
                    }
                }
            }
            return ByteBuffer.allocate(capacity);
        }

        void put(ByteBuffer b) {
            int capacity = b.capacity();
            if (Integer.bitCount(capacity) != 1) return;
            int cls = Integer.numberOfTrailingZeros(capacity);
            if (cls < MIN_CLASS || cls > MAX_CLASS) return;
            if (pooledBytes.addAndGet(capacity) > POOL_LIMIT) {
                pooledBytes.addAndGet(-capacity); // over the limit: let the collector have it
                return;
            }
            free[cls].offer(b);
        }
    }
}
