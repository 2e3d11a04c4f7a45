package dev.nbdref.server;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.spec.CommandType;
import dev.nbdref.wire.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the buffer budget is sized for a heap, and that its users never wait while holding a buffer. */
class BufferBudgetTest {
    private static final int MIB = 1 << 20;

    @Test
    void theBudgetIsAQuarterOfTheHeapBetweenOneMaximumPayloadAndOneGibibyte() {
        assertEquals(32 * MIB, BufferBudget.forHeap(64L * MIB, 32 * MIB).capacity(), "never less than one payload");
        assertEquals(64 * MIB, BufferBudget.forHeap(256L * MIB, 32 * MIB).capacity());
        assertEquals(1 << 30, BufferBudget.forHeap(6L << 30, 32 * MIB).capacity(), "at most 1 GiB");
    }

    @Test
    void reservationsCountWithoutAllocatingAndTryTakeNeverWaits() throws Exception {
        BufferBudget server = new BufferBudget(8 * MIB);
        BufferBudget connection = server.slice(6 * MIB);
        connection.reserve(4 * MIB);
        assertEquals(4 * MIB, server.available(), "a reservation counts in the server's budget too");
        assertNull(connection.tryTake(4 * MIB), "no room in the slice: no buffer, and no waiting");
        ByteBuffer b = connection.tryTake(2 * MIB);
        assertNotNull(b);
        assertEquals(2 * MIB, b.limit());
        connection.release(b);
        connection.unreserve(4 * MIB);
        assertEquals(8 * MIB, server.available());
        assertEquals(6 * MIB, connection.available());
    }

    /**
     * A structured READ holds its last chunk (so it can carry DONE) while it gets the next buffer. With a fair budget
     * and a larger request already waiting, waiting for that buffer while holding one never ends; it must send what
     * it holds instead. Here a 12 MiB taker queues before the read's second chunk, in a 12 MiB budget.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aStructuredReadDoesNotWaitForABufferWhileHoldingOne() throws Exception {
        MemoryDevice device = new MemoryDevice(64L * MIB);
        byte[] data = new byte[16 * MIB];
        Arrays.fill(data, (byte) 0x5A);
        device.write(0, ByteBuffer.wrap(data), false);
        Session session = new Session(new Export("d", null, device, false), 0, ReplyWriter.Framing.STRUCTURED, List.of(),
                SizeConstraints.defaults(), false);
        BufferBudget budget = new BufferBudget(12 * MIB);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        CommandExecutor executor = new CommandExecutor(session,
                new ReplyWriter(new ReplySender(sink), ReplyWriter.Framing.STRUCTURED, cookie -> { }), budget,
                ServerBehavior.standard());

        ByteBuffer all = budget.take(12 * MIB); // nothing free: the read queues first
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread read = new Thread(() -> {
            try {
                executor.execute(new Request(0, CommandType.READ.value, 1, 0, 16 * MIB), null, List.of());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        read.start();
        Thread.sleep(200);
        Thread big = new Thread(() -> {
            try {
                budget.release(budget.take(12 * MIB)); // queues behind the read, ahead of its second chunk
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        big.start();
        Thread.sleep(200);
        budget.release(all);
        read.join(20_000);
        big.join(20_000);
        assertTrue(!read.isAlive() && !big.isAlive(), "the read and the large taker wait on each other");
        assertNull(failure.get());
        assertTrue(sink.size() > 16 * MIB, "the whole read was sent: " + sink.size() + " bytes");
        assertEquals(12 * MIB, budget.available());
    }
}
