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
 * all, less or none in a small heap: see {@link #forHeap}), because at a gigabyte a second fresh allocations would
 * have the heap grow between collections.
 *
 * <p>Memory held in other forms (a parsed option, the descriptor lists of a block status reply) is counted with
 * {@link #reserve} without allocating, so the budget bounds those too.
 */
final class BufferBudget {
    private static final int MIN_CLASS = 12;               // 4 KiB
    private static final int MAX_CLASS = 25;               // 32 MiB
    static final long POOL_LIMIT = 128L << 20;
    /** The smallest heap in which released buffers are kept for reuse (see {@link #forHeap}). */
    static final long POOLING_HEAP = 1L << 30;
    /** A server's budget when the heap allows: more gains nothing at loopback speeds. */
    static final int MAX_SERVER_BUDGET = 1 << 30;

    private final Semaphore bytes;
    private final int capacity;
    private final BufferBudget parent;
    private final Pool pool;

    BufferBudget(int capacity) { this(capacity, POOL_LIMIT); }

    private BufferBudget(int capacity, long poolLimit) { this(capacity, null, new Pool(poolLimit)); }

    /**
     * A server's budget for a heap that may grow to {@code maxHeap} bytes: a quarter of it, at most
     * {@link #MAX_SERVER_BUDGET}, but never less than {@code largestBuffer} (a maximum-size WRITE is read whole), so
     * a small {@code -Xmx} shrinks the budget instead of running out. Large buffers are objects G1 never moves, each
     * needing a contiguous run of heap; kept in a small heap they split it until a maximum-size buffer no longer fits
     * anywhere, so below {@link #POOLING_HEAP} nothing is kept, and above it at most a sixteenth of the heap.
     */
    static BufferBudget forHeap(long maxHeap, int largestBuffer) {
        long quarter = Math.min(MAX_SERVER_BUDGET, maxHeap / 4);
        long pool = maxHeap < POOLING_HEAP ? 0 : Math.min(POOL_LIMIT, maxHeap / 16);
        return new BufferBudget((int) Math.max(quarter, largestBuffer), pool);
    }

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
        reserve(charged);
        try {
            return pool.get(charged).limit(size);
        } catch (OutOfMemoryError e) {
            unreserve(charged);
            throw e;
        }
    }

    /**
     * Like {@link #take}, but only if there is room right now; null otherwise. For a caller that already holds a
     * buffer: waiting while holding one could wait for ever once every holder does the same.
     */
    ByteBuffer tryTake(int size) {
        if (size > capacity) throw new IllegalArgumentException("buffer of " + size + " exceeds the budget " + capacity);
        int charged = Pool.chargeFor(size, capacity);
        if (!bytes.tryAcquire(charged)) return null;
        if (parent != null && !parent.bytes.tryAcquire(charged)) {
            bytes.release(charged);
            return null;
        }
        try {
            return pool.get(charged).limit(size);
        } catch (OutOfMemoryError e) {
            unreserve(charged);
            throw e;
        }
    }

    void release(ByteBuffer buffer) {
        int charged = buffer.capacity();
        pool.put(buffer);
        unreserve(charged);
    }

    /**
     * Counts {@code size} bytes held in some other form against the budget (waiting for room like {@link #take});
     * give them back with {@link #unreserve}. At most {@link #capacity()}.
     */
    void reserve(int size) throws InterruptedException {
        if (size > capacity) throw new IllegalArgumentException(size + " bytes exceed the budget " + capacity);
        bytes.acquire(size);
        try {
            if (parent != null) parent.bytes.acquire(size);
        } catch (InterruptedException e) {
            bytes.release(size);
            throw e;
        }
    }

    void unreserve(int size) {
        if (parent != null) parent.bytes.release(size);
        bytes.release(size);
    }

    /** Bytes not counted against this budget right now (for tests and logs). */
    int available() { return bytes.availablePermits(); }

    /** Free buffers by size class, shared by a server and its connections' slices. */
    private static final class Pool {
        @SuppressWarnings({"unchecked", "rawtypes"}) // generic arrays cannot be created directly
        private final ConcurrentLinkedQueue<ByteBuffer>[] free = new ConcurrentLinkedQueue[MAX_CLASS + 1];
        private final AtomicLong pooledBytes = new AtomicLong();
        private final long limit;

        Pool(long limit) {
            this.limit = limit;
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
            if (pooledBytes.addAndGet(capacity) > limit) {
                pooledBytes.addAndGet(-capacity); // over the limit: let the collector have it
                return;
            }
            free[cls].offer(b);
        }
    }
}
