package dev.nbdref.fuzz;

import dev.nbdref.bitmap.BitmapSet;
import dev.nbdref.bitmap.DirtyTrackingDevice;
import dev.nbdref.block.MemoryDevice;
import dev.nbdref.server.Export;
import dev.nbdref.server.ServerBehavior;
import dev.nbdref.server.ServerConfig;
import dev.nbdref.server.SizeConstraints;
import dev.nbdref.spec.Limits;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The server a fuzz input runs against, chosen by the input's first byte so the fuzzer explores the
 * configurations too: minimum block 1, 512 or 4096 (bits 0-1), a 64 KiB maximum payload instead of 32 MiB
 * (bit 2), and the MINIMAL behaviour without structured replies, extended headers, metadata contexts or
 * NO_ZEROES (bit 3). The exports are fresh on every run: "disk" (1 MiB of memory with a dirty bitmap "b0" of
 * 64 KiB granules), "ro" (64 KiB, read-only) and "big" (16 TiB of sparse memory, for offsets past 32 bits).
 */
record FuzzServer(int minimumBlock, int maximumPayload, boolean minimal) {
    static final String DISK = "disk";
    static final String RO = "ro";
    static final String BIG = "big";
    static final int DISK_SIZE = 1 << 20;
    static final int RO_SIZE = 64 * 1024;
    static final long BIG_SIZE = 1L << 44;
    static final long GRANULARITY = 64 * 1024;
    static final String BITMAP = "b0";
    static final List<String> NAMES = List.of(DISK, RO, BIG);

    static FuzzServer fromSelector(int selector) {
        int[] mins = {1, 512, 4096, 1};
        return new FuzzServer(mins[selector & 3], (selector & 4) != 0 ? 64 * 1024 : Limits.DEFAULT_MAX_PAYLOAD,
                (selector & 8) != 0);
    }

    SizeConstraints sizes() {
        return new SizeConstraints(minimumBlock, Math.max(minimumBlock, 4096), maximumPayload);
    }

    boolean defaultSizes() { return sizes().isDefault(); }

    int serverHandshakeFlags() { return minimal ? 1 : 3; }

    ServerConfig config() {
        try {
            BitmapSet bitmaps = new BitmapSet(DISK_SIZE);
            bitmaps.add(BITMAP, GRANULARITY, true);
            Export disk = new Export(DISK, "the fuzzed disk",
                    DirtyTrackingDevice.wrap(new MemoryDevice(DISK_SIZE), bitmaps), false, false, bitmaps);
            Export ro = new Export(RO, null, new MemoryDevice(RO_SIZE), true);
            Export big = new Export(BIG, null, new MemoryDevice(BIG_SIZE), false);
            ServerConfig c = ServerConfig.of("127.0.0.1", 0, List.of(disk, ro, big)).withSizes(sizes());
            if (minimal) {
                c = c.withBehavior(new ServerBehavior(false, false, false, false, 4 << 20, false,
                        ServerBehavior.Fault.NONE));
            }
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    long sizeOf(String export) {
        switch (export) {
            case DISK: return DISK_SIZE;
            case RO: return RO_SIZE;
            case BIG: return BIG_SIZE;
            default: throw new IllegalArgumentException(export);
        }
    }

    /** The export a name selects ("" is the default export: the first, as none is called "default"). */
    static String resolve(String name) {
        if (name.isEmpty()) return DISK;
        return NAMES.contains(name) ? name : null;
    }

    /** The metadata contexts an export offers. */
    static List<String> contextsOf(String export) {
        return export.equals(DISK) ? List.of("base:allocation", "qemu:dirty-bitmap:" + BITMAP) : List.of("base:allocation");
    }
}
