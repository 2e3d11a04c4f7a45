package dev.nbdref.server;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One connection's worker threads, in two pools. Requests that arrive holding their buffer (a WRITE's payload,
 * read by the reader thread) run in their own pool and never wait for buffer room, so they always finish and give
 * their room back. If they shared a queue with requests that still need room (READ, BLOCK_STATUS), every worker
 * could be waiting for room that only the queued WRITEs behind them hold, and the connection would stop for good.
 * Each connection has its own pools, so a client that stops reading its replies blocks only its own threads.
 */
final class Workers {
    static final int PER_POOL = 4;

    private final ExecutorService needingRoom;
    private final ExecutorService holdingRoom;

    /** The two pools of connection {@code connectionId}, {@link #PER_POOL} threads each, idle ones timing out. */
    static Workers forConnection(String connectionId) {
        return new Workers(pool("nbdref-" + connectionId + "-worker"), pool("nbdref-" + connectionId + "-writer"));
    }

    Workers(ExecutorService needingRoom, ExecutorService holdingRoom) {
        this.needingRoom = needingRoom;
        this.holdingRoom = holdingRoom;
    }

    /** Runs {@code work} in the pool for requests that do, or do not, already hold their buffer. */
    void execute(boolean holdsBuffer, Runnable work) {
        (holdsBuffer ? holdingRoom : needingRoom).execute(work);
    }

    void shutdown() {
        needingRoom.shutdown();
        holdingRoom.shutdown();
    }

    private static ExecutorService pool(String names) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(PER_POOL, PER_POOL, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), NbdServer.daemonThreads(names));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
