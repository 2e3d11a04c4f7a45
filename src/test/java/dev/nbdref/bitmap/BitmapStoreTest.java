package dev.nbdref.bitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.bitmap.DirtyBitmap.DirtyRun;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Persistence: round trips, the in-use flag after a crash, the lock, resized images. */
class BitmapStoreTest {
    private static final long K64 = 65536;
    private static final long SIZE = 8L << 20;

    @TempDir
    Path dir;

    @Test
    void cleanShutdownKeepsEveryBitAndSetting() throws IOException {
        Path image = image("disk.raw", SIZE);
        try (BitmapStore store = BitmapStore.openForServer(image, SIZE)) {
            BitmapSet set = store.bitmaps();
            assertTrue(set.persistent());
            set.add("b0", K64, true);
            set.add("frozen", 4096, false);
            set.add("fine", 512, true);
            set.markWrite(K64 + 1, 10);
            set.markWrite(SIZE - 1, 1);
            set.markWrite(K64 + 3 * 4096, 1);
        }
        assertFalse(inUse(image), "a clean shutdown clears the in-use flag");
        try (BitmapStore store = BitmapStore.openForServer(image, SIZE)) {
            assertFalse(store.recoveredDirty());
            BitmapSet set = store.bitmaps();
            assertEquals(List.of("b0", "fine", "frozen"), set.names());
            assertEquals(List.of(new BitmapInfo("b0", K64, true, 2 * K64), new BitmapInfo("fine", 512, true, 1536),
                    new BitmapInfo("frozen", 4096, false, 0)), set.list());
            assertEquals(List.of(new DirtyRun(K64, false), new DirtyRun(K64, true),
                    new DirtyRun(SIZE - 3 * K64, false), new DirtyRun(K64, true)),
                    set.find("b0").orElseThrow().runs(0, SIZE, 10));
            assertTrue(inUse(image), "an open store is marked in use on disk");
        }
    }

    /**
     * A server that is killed never clears the flag. The on-disk state it leaves is copied aside while the store is
     * still open (what kill -9 leaves behind); opening the copy must give every bitmap entirely dirty, whatever
     * was or was not marked.
     */
    @Test
    void aKilledServerLeavesEveryBitmapEntirelyDirty() throws IOException {
        Path image = image("disk.raw", SIZE);
        Path crashed = Files.createDirectory(dir.resolve("crashed"));
        try (BitmapStore store = BitmapStore.openForServer(image, SIZE)) {
            store.bitmaps().add("b0", K64, true);
            store.bitmaps().add("off", K64, false);
            store.bitmaps().markWrite(0, 1); // only in memory: the file cannot know
            Files.copy(image, crashed.resolve("disk.raw"));
            Files.copy(BitmapStore.fileFor(image), BitmapStore.fileFor(crashed.resolve("disk.raw")));
        }
        Path victim = crashed.resolve("disk.raw");
        assertTrue(inUse(victim));
        try (BitmapStore store = BitmapStore.openForServer(victim, SIZE)) {
            assertTrue(store.recoveredDirty());
            assertEquals(List.of(new BitmapInfo("b0", K64, true, SIZE), new BitmapInfo("off", K64, false, SIZE)),
                    store.bitmaps().list(), "names and settings survive; every granule is dirty");
            assertEquals(List.of(new DirtyRun(SIZE, true)), store.bitmaps().find("b0").orElseThrow().runs(0, SIZE, 9));
            store.bitmaps().clear("b0"); // a backup tool may start over
        }
        try (BitmapStore store = BitmapStore.openForServer(victim, SIZE)) {
            assertFalse(store.recoveredDirty(), "after a clean shutdown the bits are exact again");
            assertEquals(0, store.bitmaps().list().get(0).dirtyBytes());
            assertEquals(SIZE, store.bitmaps().list().get(1).dirtyBytes());
        }
    }

    /** Management changes are saved while the server runs, so a crash keeps the bitmaps that exist. */
    @Test
    void bitmapsAddedWhileRunningSurviveACrash() throws IOException {
        Path image = image("disk.raw", SIZE);
        Path crashed = Files.createDirectory(dir.resolve("crashed"));
        try (BitmapStore store = BitmapStore.openForServer(image, SIZE)) {
            store.bitmaps().add("b0", K64, true);
            store.bitmaps().add("b1", 512, true);
            store.bitmaps().remove("b0");
            Files.copy(image, crashed.resolve("disk.raw"));
            Files.copy(BitmapStore.fileFor(image), BitmapStore.fileFor(crashed.resolve("disk.raw")));
        }
        try (BitmapStore store = BitmapStore.openForServer(crashed.resolve("disk.raw"), SIZE)) {
            assertEquals(List.of(new BitmapInfo("b1", 512, true, SIZE)), store.bitmaps().list());
        }
    }

    @Test
    void aSecondServerIsRefusedWhileTheFirstRuns() throws IOException {
        Path image = image("disk.raw", SIZE);
        try (BitmapStore first = BitmapStore.openForServer(image, SIZE)) {
            assertTrue(first.bitmaps().persistent());
            BitmapStoreInUseException e = assertThrows(BitmapStoreInUseException.class,
                    () -> BitmapStore.openForServer(image, SIZE));
            assertTrue(e.live());
            BitmapStoreInUseException atRest = assertThrows(BitmapStoreInUseException.class,
                    () -> BitmapStore.openAtRest(image, true));
            assertTrue(atRest.live(), "--force never overrides a running server");
        }
        BitmapStore.openForServer(image, SIZE).close(); // the lock is free again
    }

    @Test
    void atRestAStoreLeftInUseNeedsForceAndThenReadsAllDirty() throws IOException {
        Path image = image("disk.raw", SIZE);
        Path crashed = Files.createDirectory(dir.resolve("crashed"));
        Path victim = crashed.resolve("disk.raw");
        try (BitmapStore store = BitmapStore.openForServer(image, SIZE)) {
            store.bitmaps().add("b0", K64, true);
            Files.copy(image, victim);
            Files.copy(BitmapStore.fileFor(image), BitmapStore.fileFor(victim));
        }
        BitmapStoreInUseException e = assertThrows(BitmapStoreInUseException.class,
                () -> BitmapStore.openAtRest(victim, false));
        assertFalse(e.live());
        try (BitmapStore listing = BitmapStore.openAtRest(victim, true)) {
            assertEquals(SIZE, listing.bitmaps().list().get(0).dirtyBytes());
        }
        assertTrue(inUse(victim), "a forced look changes nothing");
        try (BitmapStore fixing = BitmapStore.openAtRest(victim, true)) {
            fixing.bitmaps().add("b1", K64, true);
        }
        assertFalse(inUse(victim));
        try (BitmapStore store = BitmapStore.openAtRest(victim, false)) {
            assertEquals(List.of(new BitmapInfo("b0", K64, true, SIZE), new BitmapInfo("b1", K64, true, 0)),
                    store.bitmaps().list(), "the recovered bitmap was saved entirely dirty");
        }
    }

    @Test
    void atRestWritesOnlyWhenSomethingChanged() throws IOException {
        Path image = image("disk.raw", SIZE);
        try (BitmapStore store = BitmapStore.openAtRest(image, false)) {
            assertTrue(store.bitmaps().list().isEmpty());
        }
        assertFalse(Files.exists(BitmapStore.fileFor(image)), "listing an image without bitmaps creates nothing");
        try (BitmapStore store = BitmapStore.openAtRest(image, false)) {
            store.bitmaps().add("b0", K64, true);
        }
        assertTrue(Files.exists(BitmapStore.fileFor(image)));
        assertFalse(inUse(image));
        assertFalse(Files.exists(AtomicFiles.temporaryFor(BitmapStore.fileFor(image))));
    }

    @Test
    void aResizedImageMakesEveryBitmapDirty() throws IOException {
        Path image = image("disk.raw", SIZE);
        try (BitmapStore store = BitmapStore.openAtRest(image, false)) {
            store.bitmaps().add("b0", K64, true);
        }
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(SIZE + 1000);
        }
        try (BitmapStore store = BitmapStore.openForServer(image, SIZE + 1000)) {
            assertTrue(store.recoveredDirty());
            assertEquals(List.of(new BitmapInfo("b0", K64, true, SIZE + 1000)), store.bitmaps().list());
        }
    }

    @Test
    void ensureAddsOrKeepsButNeverChangesGranularity() throws IOException {
        Path image = image("disk.raw", SIZE);
        try (BitmapStore store = BitmapStore.openForServer(image, SIZE)) {
            store.bitmaps().ensure("b0", java.util.OptionalLong.empty());
            store.bitmaps().markWrite(0, 1);
        }
        try (BitmapStore store = BitmapStore.openForServer(image, SIZE)) {
            BitmapInfo kept = store.bitmaps().ensure("b0", java.util.OptionalLong.of(K64));
            assertEquals(new BitmapInfo("b0", K64, true, K64), kept, "an existing bitmap keeps its bits");
            BitmapException e = assertThrows(BitmapException.class,
                    () -> store.bitmaps().ensure("b0", java.util.OptionalLong.of(4096)));
            assertEquals(BitmapException.Kind.INCOMPATIBLE, e.kind());
        }
    }

    @Test
    void aLeftoverTemporaryFileIsIgnored() throws IOException {
        Path image = image("disk.raw", SIZE);
        try (BitmapStore store = BitmapStore.openAtRest(image, false)) {
            store.bitmaps().add("b0", K64, true);
        }
        Files.write(AtomicFiles.temporaryFor(BitmapStore.fileFor(image)), new byte[] {1, 2, 3});
        try (BitmapStore store = BitmapStore.openForServer(image, SIZE)) {
            assertEquals(List.of("b0"), store.bitmaps().names());
        }
    }

    @Test
    void aCorruptStoreStopsTheServerWithATypedError() throws IOException {
        Path image = image("disk.raw", SIZE);
        try (BitmapStore store = BitmapStore.openAtRest(image, false)) {
            store.bitmaps().add("b0", K64, true);
        }
        Path file = BitmapStore.fileFor(image);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 10] ^= 1;
        Files.write(file, bytes);
        CorruptBitmapStoreException e = assertThrows(CorruptBitmapStoreException.class,
                () -> BitmapStore.openForServer(image, SIZE));
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        // the lock was released on the way out
        Files.move(file, dir.resolve("saved"), StandardCopyOption.REPLACE_EXISTING);
        BitmapStore.openForServer(image, SIZE).close();
    }

    private Path image(String name, long size) throws IOException {
        Path image = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(size);
        }
        return image;
    }

    private static boolean inUse(Path image) throws IOException {
        byte[] header = Files.readAllBytes(BitmapStore.fileFor(image));
        return (header[15] & BitmapFileFormat.FLAG_IN_USE) != 0;
    }
}
