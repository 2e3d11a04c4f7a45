package dev.nbdref.bitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.block.MemoryDevice;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Marks from many threads are never lost, and management changes stay atomic against them. */
class BitmapConcurrencyTest {
    private static final int THREADS = 16;

    /** Neighbouring granules share 64-bit words: an OR that raced badly would drop some of them. */
    @Test
    void concurrentMarksOnSharedWordsAreAllKept() throws Exception {
        long granules = 64 * 1024;
        InMemoryBitmap b = new InMemoryBitmap("b", 512, granules * 512, true);
        runConcurrently(t -> {
            for (long g = t; g < granules; g += THREADS) b.mark(g * 512, 1); // thread t owns every 16th granule
        });
        assertEquals(granules, b.dirtyGranules());
    }

    @Test
    void randomOverlappingMarksMatchASequentialReplay() throws Exception {
        long size = 64L << 20;
        InMemoryBitmap shared = new InMemoryBitmap("b", 4096, size, true);
        InMemoryBitmap replay = new InMemoryBitmap("r", 4096, size, true);
        runConcurrently(t -> {
            SplittableRandom r = new SplittableRandom(t);
            for (int i = 0; i < 5000; i++) {
                long offset = r.nextLong(size);
                shared.mark(offset, 1 + r.nextLong(Math.min(size - offset, 300_000)));
            }
        });
        for (int t = 0; t < THREADS; t++) {
            SplittableRandom r = new SplittableRandom(t);
            for (int i = 0; i < 5000; i++) {
                long offset = r.nextLong(size);
                replay.mark(offset, 1 + r.nextLong(Math.min(size - offset, 300_000)));
            }
        }
        assertEquals(replay.runs(0, size, Integer.MAX_VALUE), shared.runs(0, size, Integer.MAX_VALUE));
    }

    /**
     * Writers keep writing while another thread clears, swaps and lists bitmaps. Afterwards every granule
     * written after the last clear must be dirty, whatever the interleaving was.
     */
    @Test
    void managementDuringWritesNeverLosesALaterWrite() throws Exception {
        long size = 16L << 20;
        BitmapSet set = new BitmapSet(size);
        set.add("b0", 65536, true);
        DirtyTrackingDevice device = DirtyTrackingDevice.wrap(new MemoryDevice(size), set);
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int seed = t;
                writers.add(pool.submit(() -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    ByteBuffer data = ByteBuffer.allocate(4096);
                    while (!stop.get()) {
                        device.write(r.nextLong(size / 4096) * 4096, data.clear(), false);
                        if (r.nextInt(50) == 0) device.trim(r.nextLong(size / 65536) * 65536, 65536, false);
                    }
                    return null;
                }));
            }
            Future<?> manager = pool.submit(() -> {
                for (int i = 0; i < 200; i++) {
                    set.clear("b0");
                    set.add("tmp", 65536, true);
                    set.merge("b0", "tmp");
                    set.list();
                    set.remove("tmp");
                }
                return null;
            });
            manager.get(60, TimeUnit.SECONDS);
            set.clear("b0");
            // written strictly after the clear: must show
            ByteBuffer data = ByteBuffer.allocate(1);
            device.write(5 * 65536 + 7, data, false);
            stop.set(true);
            for (Future<?> w : writers) w.get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        InMemoryBitmap b0 = (InMemoryBitmap) set.find("b0").orElseThrow();
        assertTrue(b0.isDirty(5));
    }

    private interface Body {
        void run(int thread) throws Exception;
    }

    private static void runConcurrently(Body body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                all.add(pool.submit(() -> {
                    start.await();
                    body.run(thread);
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : all) f.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
    }
}
