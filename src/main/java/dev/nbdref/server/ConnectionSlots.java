package dev.nbdref.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Semaphore;

/**
 * The connection limit (ServerConfig.maxConnections): the acceptor takes a slot before it accepts a client, and a
 * connection gives its slot back once it has ended and been reported.
 *
 * <p>At the limit the server stops accepting rather than accepting and closing. The handshake has no way to say
 * "busy" before the greeting, so a server can only close, which a client reports as a broken server and mostly
 * does not retry. Left unaccepted, the client's connect still succeeds (the kernel's listen backlog holds it, 128
 * here) and it simply waits for its greeting, which comes as soon as another client leaves; a client with its own
 * connect or greeting timeout still fails cleanly on it. A waiting client holds no thread and no buffer. qemu-nbd
 * does the same at its --shared limit. A slot held by a stalled negotiation frees within the negotiation deadline;
 * slots held by idle transmission connections are exactly what the limit is meant to count.
 */
final class ConnectionSlots {
    private static final Logger log = LoggerFactory.getLogger(ConnectionSlots.class);

    private final int limit;
    private final Semaphore free;

    ConnectionSlots(int limit) {
        this.limit = limit;
        this.free = new Semaphore(limit);
    }

    /**
     * Waits for a free slot. Logs one line each time the limit is reached (whether or not a client is waiting
     * yet: the acceptor waits first) and one when accepting resumes, never one per waiting client, which the
     * server cannot see.
     */
    void take() throws InterruptedException {
        if (free.tryAcquire()) return;
        log.info("{} connection(s) open, the limit (--max-connections): further clients wait in the listen backlog"
                + " until one ends", limit);
        free.acquire();
        log.info("a connection ended: accepting again");
    }

    /** A connection has ended, or an accept failed after its slot was taken. */
    void give() { free.release(); }
}
