package dev.nbdref.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The {@link BlockDevice} contract, run against every backend by subclasses that say how to make one and
 * which optional behaviours (holes, deterministic trim, fast zero) it has.
 */
abstract class BlockDeviceContractTest {
    static final int KIB = 1024;
    static final int MIB = 1024 * KIB;

    private final List<BlockDevice> opened = new ArrayList<>();

    /** A fresh writable device of {@code size} bytes reading as zeroes. */
    abstract BlockDevice create(long size) throws IOException;

    /** A fresh read-only device of {@code size} bytes. */
    abstract BlockDevice createReadOnly(long size) throws IOException;

    /** Whether extents report holes (otherwise everything is data). */
    abstract boolean reportsHoles();

    /** Whether trim makes the range read as zeroes (otherwise it keeps the data). */
    abstract boolean trimZeroes();

    /** Whether zeroing with fastOnly succeeds. */
    abstract boolean fastZero();

    BlockDevice device(long size) throws IOException {
        return track(create(size));
    }

    BlockDevice readOnlyDevice(long size) throws IOException {
        return track(createReadOnly(size));
    }

    private BlockDevice track(BlockDevice device) {
        opened.add(device);
        return device;
    }

    @AfterEach
    void closeDevices() throws IOException {
        for (BlockDevice device : opened) device.close();
    }

    @Test
    void reportsItsSizeAndByteGranularity() throws IOException {
        BlockDevice dev = device(3 * MIB + 17);
        assertEquals(3 * MIB + 17, dev.size());
        assertFalse(dev.capabilities().readOnly());
        assertEquals(1, dev.capabilities().minBlock());
        assertTrue(dev.capabilities().sharedCache());
    }

    @Test
    void unwrittenBytesReadAsZeroes() throws IOException {
        BlockDevice dev = device(MIB);
        assertArrayEquals(new byte[MIB], read(dev, 0, MIB));
        assertArrayEquals(new byte[1000], read(dev, MIB - 1000, 1000));
    }

    @Test
    void readsBackRandomWritesAtRandomOffsets() throws IOException {
        int size = 2 * MIB;
        BlockDevice dev = device(size);
        byte[] model = new byte[size];
        Random random = new Random(20240611L);
        for (int i = 0; i < 300; i++) {
            int offset = random.nextInt(size);
            int length = random.nextInt(Math.min(size - offset, 200 * KIB) + 1);
            byte[] data = Patterns.random(random, length);
            dev.write(offset, ByteBuffer.wrap(data), random.nextBoolean());
            System.arraycopy(data, 0, model, offset, length);
            int readOffset = random.nextInt(size);
            int readLength = random.nextInt(Math.min(size - readOffset, 300 * KIB) + 1);
            assertArrayEquals(Arrays.copyOfRange(model, readOffset, readOffset + readLength),
                    read(dev, readOffset, readLength), "read at " + readOffset + " after write " + i);
        }
        assertArrayEquals(model, read(dev, 0, size));
    }

    @Test
    void readsAndWritesThroughDirectBuffersAndNonZeroPositions() throws IOException {
        BlockDevice dev = device(MIB);
        byte[] data = Patterns.counting(100_000, 7);
        ByteBuffer src = ByteBuffer.allocateDirect(100_010);
        src.position(10);
        src.put(data);
        src.position(10);
        dev.write(70_000, src, false);
        assertFalse(src.hasRemaining(), "write consumes the whole buffer");
        ByteBuffer dst = ByteBuffer.allocateDirect(100_005);
        dst.position(5);
        dev.read(70_000, dst);
        assertFalse(dst.hasRemaining(), "read fills the whole buffer");
        byte[] back = new byte[100_000];
        dst.position(5);
        dst.get(back);
        assertArrayEquals(data, back);
    }

    @ParameterizedTest(name = "mayTrim={0} fastOnly={1}")
    @CsvSource({"true,false", "false,false", "true,true", "false,true"})
    void writeZeroesZeroesExactlyTheRange(boolean mayTrim, boolean fastOnly) throws IOException {
        int size = MIB;
        BlockDevice dev = device(size);
        byte[] model = Patterns.counting(size, 3);
        dev.write(0, ByteBuffer.wrap(model), false);
        int offset = 65_536 - 1234;
        int length = 3 * 65_536 + 4321;
        if (fastOnly && !fastZero()) {
            assertThrows(FastZeroUnsupportedException.class,
                    () -> dev.writeZeroes(offset, length, mayTrim, true, false));
        } else {
            dev.writeZeroes(offset, length, mayTrim, fastOnly, true);
            Arrays.fill(model, offset, offset + length, (byte) 0);
        }
        assertArrayEquals(model, read(dev, 0, size));
    }

    @Test
    void trimLeavesTheRestIntact() throws IOException {
        int size = MIB;
        BlockDevice dev = device(size);
        byte[] original = Patterns.counting(size, 11);
        dev.write(0, ByteBuffer.wrap(original), false);
        int offset = 100_000;
        int length = 300_000;
        dev.trim(offset, length, true);
        byte[] expected = original.clone();
        if (trimZeroes()) Arrays.fill(expected, offset, offset + length, (byte) 0);
        assertArrayEquals(expected, read(dev, 0, size));
    }

    @Test
    void zeroLengthRequestsChangeNothing() throws IOException {
        BlockDevice dev = device(MIB);
        byte[] data = Patterns.counting(MIB, 5);
        dev.write(0, ByteBuffer.wrap(data), false);
        dev.write(MIB, ByteBuffer.allocate(0), false);
        dev.writeZeroes(1000, 0, true, false, false);
        dev.trim(1000, 0, false);
        dev.read(MIB, ByteBuffer.allocate(0));
        assertArrayEquals(data, read(dev, 0, MIB));
    }

    @Test
    void flushAndFuaSucceed() throws IOException {
        BlockDevice dev = device(MIB);
        dev.write(0, ByteBuffer.wrap(new byte[] {1, 2, 3}), true);
        dev.flush();
        assertArrayEquals(new byte[] {1, 2, 3}, read(dev, 0, 3));
    }

    @Test
    void extentsOfAFreshDeviceAreOneRun() throws IOException {
        BlockDevice dev = device(4 * MIB);
        Extent expected = reportsHoles() ? Extent.hole(4 * MIB) : Extent.data(4 * MIB);
        assertEquals(List.of(expected), dev.extents(0, 4 * MIB, 16));
    }

    @Test
    void extentsShowAWrittenBlockAmongHoles() throws IOException {
        BlockDevice dev = device(4 * MIB);
        dev.write(MIB, ByteBuffer.wrap(Patterns.counting(64 * KIB, 1)), false);
        List<Extent> extents = dev.extents(0, 4 * MIB, 16);
        if (reportsHoles()) {
            assertEquals(List.of(Extent.hole(MIB), Extent.data(64 * KIB), Extent.hole(3 * MIB - 64 * KIB)), extents);
        } else {
            assertEquals(List.of(Extent.data(4 * MIB)), extents);
        }
    }

    @Test
    void trimmingTheOnlyBlockLeavesOneHole() throws IOException {
        BlockDevice dev = device(4 * MIB);
        dev.write(MIB, ByteBuffer.wrap(Patterns.counting(64 * KIB, 1)), false);
        dev.trim(MIB, 64 * KIB, false);
        Extent expected = reportsHoles() ? Extent.hole(4 * MIB) : Extent.data(4 * MIB);
        assertEquals(List.of(expected), dev.extents(0, 4 * MIB, 16));
    }

    @Test
    void extentsStartAtTheOffsetAndStopAtTheQueryEnd() throws IOException {
        BlockDevice dev = device(4 * MIB);
        dev.write(MIB, ByteBuffer.wrap(Patterns.counting(64 * KIB, 1)), false);
        List<Extent> extents = dev.extents(MIB + 100, 1000, 16);
        assertEquals(List.of(Extent.data(1000)), extents);
        List<Extent> tail = dev.extents(4 * MIB - 10, 10, 16);
        assertEquals(10, total(tail));
    }

    @Test
    void extentsRespectMaxExtentsAndAreAPrefixOfTheFullAnswer() throws IOException {
        int size = 2 * MIB;
        BlockDevice dev = device(size);
        for (int offset = 0; offset < size; offset += 256 * KIB) {
            dev.write(offset, ByteBuffer.wrap(Patterns.counting(64 * KIB, 9)), false);
        }
        List<Extent> full = dev.extents(0, size, Integer.MAX_VALUE);
        assertWellFormed(full, 0, size, Integer.MAX_VALUE);
        for (int max = 1; max <= full.size() + 1; max++) {
            List<Extent> limited = dev.extents(0, size, max);
            assertWellFormed(limited, 0, size, max);
            assertEquals(full.subList(0, Math.min(max, full.size())), limited, "maxExtents=" + max);
        }
    }

    @Test
    void extentsAreWellFormedAndTruthfulAfterRandomChanges() throws IOException {
        int size = MIB + 12_345;
        BlockDevice dev = device(size);
        byte[] model = new byte[size];
        Random random = new Random(77L);
        for (int i = 0; i < 60; i++) {
            int offset = random.nextInt(size);
            int length = random.nextInt(Math.min(size - offset, 150 * KIB) + 1);
            switch (random.nextInt(3)) {
                case 0 -> {
                    byte[] data = Patterns.random(random, length);
                    dev.write(offset, ByteBuffer.wrap(data), false);
                    System.arraycopy(data, 0, model, offset, length);
                }
                case 1 -> {
                    dev.writeZeroes(offset, length, random.nextBoolean(), false, false);
                    Arrays.fill(model, offset, offset + length, (byte) 0);
                }
                default -> {
                    dev.trim(offset, length, false);
                    if (trimZeroes()) Arrays.fill(model, offset, offset + length, (byte) 0);
                }
            }
            int queryOffset = random.nextInt(size);
            int queryLength = 1 + random.nextInt(size - queryOffset);
            int max = 1 + random.nextInt(8);
            List<Extent> extents = dev.extents(queryOffset, queryLength, max);
            assertWellFormed(extents, queryOffset, size, max);
            assertZeroExtentsAreZero(extents, queryOffset, model);
        }
    }

    @Test
    void readOnlyDeviceRefusesChangesButReads() throws IOException {
        BlockDevice dev = readOnlyDevice(MIB);
        assertTrue(dev.capabilities().readOnly());
        assertThrows(ReadOnlyDeviceException.class, () -> dev.write(0, ByteBuffer.allocate(10), false));
        assertThrows(ReadOnlyDeviceException.class, () -> dev.writeZeroes(0, 10, true, false, false));
        assertThrows(ReadOnlyDeviceException.class, () -> dev.trim(0, 10, false));
        assertEquals(10, read(dev, 0, 10).length);
        assertEquals(MIB, total(dev.extents(0, MIB, 4)));
    }

    @Test
    void outOfRangeRequestsAreCallerBugs() throws IOException {
        long size = MIB;
        BlockDevice dev = device(size);
        assertThrows(IllegalArgumentException.class, () -> dev.read(size - 1, ByteBuffer.allocate(2)));
        assertThrows(IllegalArgumentException.class, () -> dev.read(-1, ByteBuffer.allocate(1)));
        assertThrows(IllegalArgumentException.class, () -> dev.write(size, ByteBuffer.allocate(1), false));
        assertThrows(IllegalArgumentException.class, () -> dev.write(Long.MAX_VALUE, ByteBuffer.allocate(1), false));
        assertThrows(IllegalArgumentException.class, () -> dev.writeZeroes(0, size + 1, true, false, false));
        assertThrows(IllegalArgumentException.class, () -> dev.writeZeroes(10, -1, true, false, false));
        assertThrows(IllegalArgumentException.class, () -> dev.trim(size - 5, Long.MAX_VALUE, false));
        assertThrows(IllegalArgumentException.class, () -> dev.extents(size, 1, 4));
        assertThrows(IllegalArgumentException.class, () -> dev.extents(0, size + 1, 4));
        assertThrows(IllegalArgumentException.class, () -> dev.extents(0, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> dev.extents(0, 10, 0));
    }

    @Test
    void concurrentWritersOnDisjointRangesReadBackExactly() throws Exception {
        int size = 4 * MIB;
        int threads = 8;
        int stripe = 1000; // not a page or block multiple, so neighbours share pages and blocks
        BlockDevice dev = device(size);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<Void>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                Callable<Void> writer = () -> {
                    start.await();
                    for (int round = 0; round < 3; round++) {
                        for (int offset = thread * stripe; offset + stripe <= size; offset += threads * stripe) {
                            dev.write(offset, ByteBuffer.wrap(Patterns.filled(stripe, thread * 3 + round)), false);
                        }
                    }
                    return null;
                };
                done.add(pool.submit(writer));
            }
            start.countDown();
            for (Future<Void> f : done) f.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        byte[] all = read(dev, 0, size);
        for (int offset = 0; offset + stripe <= size; offset += stripe) {
            int thread = (offset / stripe) % threads;
            byte[] expected = Patterns.filled(stripe, thread * 3 + 2);
            assertArrayEquals(expected, Arrays.copyOfRange(all, offset, offset + stripe), "stripe at " + offset);
        }
        int tail = size - size / stripe * stripe;
        assertArrayEquals(new byte[tail], Arrays.copyOfRange(all, size - tail, size), "untouched tail");
    }

    @Test
    void matchesAByteArrayModelUnderRandomOperationSequences() {
        int size = 256 * KIB;
        qt().withFixedSeed(0x6e6264726566L)
                .withExamples(150)
                .withShrinkCycles(300)
                .forAll(lists().of(ModelOperation.generator(size)).ofSizeBetween(1, 30))
                .checkAssert(steps -> runAgainstModel(size, steps));
    }

    private void runAgainstModel(int size, List<ModelOperation> steps) {
        byte[] model = new byte[size];
        try (BlockDevice dev = create(size)) {
            for (int i = 0; i < steps.size(); i++) {
                ModelOperation step = steps.get(i);
                step.apply(dev, model, trimZeroes(), fastZero());
                assertArrayEquals(model, read(dev, 0, size), "after step " + i + ": " + step);
                List<Extent> extents = dev.extents(0, size, Integer.MAX_VALUE);
                assertEquals(size, total(extents), "extents cover the device after step " + i);
                assertWellFormed(extents, 0, size, Integer.MAX_VALUE);
                assertZeroExtentsAreZero(extents, 0, model);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] read(BlockDevice dev, long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        dev.read(offset, buffer);
        assertFalse(buffer.hasRemaining());
        return buffer.array();
    }

    static long total(List<Extent> extents) {
        return extents.stream().mapToLong(Extent::length).sum();
    }

    /** Non-empty, at most max entries, merged, within the device; the first starts at offset by definition. */
    static void assertWellFormed(List<Extent> extents, long offset, long size, int max) {
        assertFalse(extents.isEmpty(), "at least one extent");
        assertTrue(extents.size() <= max, "at most " + max + " extents: " + extents);
        assertTrue(offset + total(extents) <= size, "extents end within the device: " + extents);
        for (int i = 1; i < extents.size(); i++) {
            assertFalse(extents.get(i - 1).sameState(extents.get(i)), "adjacent runs are merged: " + extents);
        }
    }

    /** Every extent claiming zeroes must cover bytes that are zero in the model. */
    static void assertZeroExtentsAreZero(List<Extent> extents, long offset, byte[] model) {
        long pos = offset;
        for (Extent extent : extents) {
            if (extent.zero()) {
                for (long p = pos; p < pos + extent.length(); p++) {
                    if (model[(int) p] != 0) fail("byte " + p + " is not zero inside zero extent " + extent);
                }
            }
            pos += extent.length();
        }
    }
}
