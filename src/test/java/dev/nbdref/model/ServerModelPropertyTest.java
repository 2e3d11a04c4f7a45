package dev.nbdref.model;

import dev.nbdref.block.Patterns;
import dev.nbdref.bitmap.BitmapSet;
import dev.nbdref.bitmap.DirtyTrackingDevice;
import dev.nbdref.block.BlockDevice;
import dev.nbdref.block.FileDevice;
import dev.nbdref.block.MemoryDevice;
import dev.nbdref.bochs.BochsCreator;
import dev.nbdref.bochs.GrowingDevice;
import dev.nbdref.bochs.ReadOptions;
import dev.nbdref.model.NbdClient.Descriptor;
import dev.nbdref.model.NbdClient.Framing;
import dev.nbdref.model.NbdClient.Reply;
import dev.nbdref.server.Export;
import dev.nbdref.server.NbdServer;
import dev.nbdref.server.ServerConfig;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.MetaContext;
import dev.nbdref.spec.TransmissionFlag;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

/**
 * The stateful model test of the server: random sequences of WRITE, READ, TRIM, WRITE_ZEROES (with and without
 * NO_HOLE and FAST_ZERO), FLUSH, FUA, CACHE, BLOCK_STATUS and bitmap clears, spread over 1 to 4 loopback
 * connections to an in-process server, each with its own framing (simple, structured or extended headers), on a
 * memory, file or writable Bochs export whose changes are tracked in a dirty bitmap. After every request the reply
 * is checked against an {@link ExportModel} of the data and the dirty granules: READ data matches; base:allocation
 * ZERO only where the model reads zero; qemu:dirty-bitmap:b0 exactly the granules the model marked. At the end
 * every connection reads the whole export back. A failure prints the shrunk scenario.
 */
class ServerModelPropertyTest {
    /** Not a multiple of the 64 KiB page, bitmap granule or Bochs extent, so partial last units are exercised. */
    static final int SIZE = (2 << 20) + 1536;
    static final long GRANULARITY = 64 * 1024;
    static final String BITMAP = "b0";
    static final String DIRTY = MetaContext.QEMU_DIRTY_BITMAP_PREFIX + BITMAP;

    private static Path dir;

    /** Where file and Bochs exports live; made on first use, so other tests can run scenarios too. */
    private static synchronized Path dir() throws IOException {
        if (dir == null) dir = Files.createTempDirectory("nbdref-model");
        return dir;
    }

    @AfterAll
    static synchronized void removeTempDir() throws IOException {
        if (dir == null) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        dir = null;
    }

    // ---------------------------------------------------------------- scenarios

    enum Kind { MEMORY, FILE, BOCHS }

    /** One step; {@code conn} picks a connection (modulo how many there are). */
    sealed interface Op permits Write, Read, Trim, Zero, Flush, Cache, Status, ClearBitmap {}

    record Write(int conn, long offset, int length, int seed, boolean fua) implements Op {}

    record Read(int conn, long offset, int length) implements Op {}

    record Trim(int conn, long offset, int length, boolean fua) implements Op {}

    record Zero(int conn, long offset, int length, boolean noHole, boolean fastZero, boolean fua) implements Op {}

    record Flush(int conn) implements Op {}

    record Cache(int conn, long offset, int length) implements Op {}

    record Status(int conn, long offset, int length, boolean reqOne) implements Op {}

    /** A backup tool clearing the bitmap between requests (management, not NBD). */
    record ClearBitmap() implements Op {}

    record Scenario(Kind kind, List<Framing> connections, List<Op> ops) {}

    private record Range(long offset, int length) {}

    /** A range inside the export aligned to a random unit: a byte, a sector, a page, or a 64 KiB granule. */
    private static Gen<Range> ranges(int maxLength) {
        return Generate.pick(List.of(1, 512, 4096, 65536)).flatMap(unit ->
                Generate.range(0, SIZE / unit - 1).zip(Generate.range(1, Math.max(1, maxLength / unit)), (k, m) -> {
                    long offset = (long) k * unit;
                    return new Range(offset, (int) Math.min((long) m * unit, SIZE - offset));
                }));
    }

    private static Gen<Op> ops() {
        Gen<Integer> conn = Generate.range(0, 3);
        Gen<Boolean> bool = Generate.booleans();
        Gen<Op> write = conn.zip(ranges(200_000), Generate.range(0, 1_000_000), bool,
                (c, r, s, f) -> new Write(c, r.offset(), r.length(), s, f));
        Gen<Op> read = conn.zip(ranges(600_000), (c, r) -> new Read(c, r.offset(), r.length()));
        Gen<Op> trim = conn.zip(ranges(SIZE), bool, (c, r, f) -> new Trim(c, r.offset(), r.length(), f));
        Gen<Op> zero = conn.zip(ranges(SIZE), Generate.range(0, 7),
                (c, r, bits) -> new Zero(c, r.offset(), r.length(), (bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0));
        Gen<Op> flush = conn.map(Flush::new);
        Gen<Op> cache = conn.zip(ranges(SIZE), (c, r) -> new Cache(c, r.offset(), r.length()));
        Gen<Op> status = conn.zip(ranges(SIZE), bool, (c, r, one) -> new Status(c, r.offset(), r.length(), one));
        Gen<Op> clear = Generate.constant(new ClearBitmap());
        return Generate.frequency(List.of(Pair.of(6, write), Pair.of(4, read), Pair.of(2, trim), Pair.of(3, zero),
                Pair.of(1, flush), Pair.of(1, cache), Pair.of(4, status), Pair.of(1, clear)));
    }

    static Gen<Scenario> scenarios() {
        Gen<List<Framing>> connections = lists().of(Generate.enumValues(Framing.class)).ofSizeBetween(1, 4);
        return Generate.enumValues(Kind.class).zip(connections, lists().of(ops()).ofSizeBetween(1, 30), Scenario::new);
    }

    // ---------------------------------------------------------------- the property

    /**
     * QuickTheories finds a failing scenario from a fixed seed; it then shrinks values only a little (its list
     * shrinking keeps most elements), so {@link #minimise} removes operations and connections while the failure
     * persists and the assertion names the smallest scenario found, one step per line.
     */
    @Test
    void everyReplyAgreesWithTheModel() {
        qt().withFixedSeed(0x5EED_0F_8L).withExamples(50).withShrinkCycles(0)
                .forAll(scenarios())
                .checkAssert(s -> runAndMinimise(s, Stack.CORRECT));
    }

    /**
     * How the export's device is put together from the raw backend and the bitmaps. The correct stack is the
     * server's own; {@link ServerModelMutationTest} swaps in deliberately broken ones to show the model notices.
     */
    @FunctionalInterface
    interface Stack {
        Stack CORRECT = DirtyTrackingDevice::wrap;

        BlockDevice build(BlockDevice backend, BitmapSet bitmaps);
    }

    static void runAndMinimise(Scenario s, Stack stack) {
        AssertionError first = failure(s, stack);
        if (first == null) return;
        Scenario small = minimise(s, stack);
        AssertionError last = failure(small, stack);
        AssertionError e = new AssertionError("model test failed; minimised scenario (" + small.ops().size() + " of "
                + s.ops().size() + " steps):\n" + describe(small) + "\nfailure: "
                + (last != null ? last.getMessage() : first.getMessage()), last != null ? last : first);
        throw e;
    }

    /** The failure {@code s} produces, or null. */
    private static AssertionError failure(Scenario s, Stack stack) {
        try {
            run(s, stack);
            return null;
        } catch (AssertionError e) {
            return e;
        }
    }

    /** Greedy delta debugging: drop chunks of steps, then single steps, then connections, while it still fails. */
    static Scenario minimise(Scenario s, Stack stack) {
        Scenario best = s;
        for (int chunk = Math.max(1, best.ops().size() / 2); chunk >= 1; chunk /= 2) {
            for (int at = 0; at + chunk <= best.ops().size(); ) {
                List<Op> fewer = new ArrayList<>(best.ops());
                fewer.subList(at, at + chunk).clear();
                Scenario candidate = new Scenario(best.kind(), best.connections(), fewer);
                if (!fewer.isEmpty() && failure(candidate, stack) != null) best = candidate; else at += chunk;
            }
        }
        for (int c = best.connections().size() - 1; c >= 0 && best.connections().size() > 1; c--) {
            List<Framing> fewer = new ArrayList<>(best.connections());
            fewer.remove(c);
            Scenario candidate = new Scenario(best.kind(), fewer, best.ops());
            if (failure(candidate, stack) != null) best = candidate;
        }
        return best;
    }

    static String describe(Scenario s) {
        StringBuilder b = new StringBuilder("  export " + s.kind() + ", connections " + s.connections() + "\n");
        for (int i = 0; i < s.ops().size(); i++) b.append("  ").append(i).append(": ").append(s.ops().get(i)).append('\n');
        return b.toString();
    }

    /** Runs one scenario against a fresh server; public so a failing one can be replayed from a main. */
    static void run(Scenario s, Stack stack) {
        Path image = null;
        BitmapSet bitmaps = new BitmapSet(SIZE);
        List<NbdClient> clients = new ArrayList<>();
        NbdServer server = null;
        try {
            image = dir().resolve("export-" + System.nanoTime());
            bitmaps.add(BITMAP, GRANULARITY, true);
            BlockDevice device = stack.build(open(s.kind(), image), bitmaps);
            Export export = new Export("disk", null, device, false, false, bitmaps);
            server = NbdServer.start(ServerConfig.of("127.0.0.1", 0, List.of(export)), r -> { });
            for (Framing f : s.connections()) {
                List<String> contexts = f == Framing.SIMPLE ? List.of() : List.of(MetaContext.BASE_ALLOCATION, DIRTY);
                clients.add(NbdClient.connect("127.0.0.1", server.port(), "disk", f, contexts, 10_000));
            }
            ExportModel model = new ExportModel(SIZE, GRANULARITY);
            Set<NbdClient> simpleStatusChecked = new HashSet<>();
            for (int i = 0; i < s.ops().size(); i++) {
                Op op = s.ops().get(i);
                apply(op, "step " + i + " " + op, clients, bitmaps, model, simpleStatusChecked);
            }
            for (int c = 0; c < clients.size(); c++) {
                Reply all = clients.get(c).read(0, SIZE, 0);
                expectOk(all, "final READ of the whole export on connection " + c);
                model.checkRead(0, all.data(), "final READ on connection " + c);
            }
            for (NbdClient c : clients) c.disconnect();
        } catch (IOException e) {
            throw new AssertionError("scenario failed: " + e, e);
        } finally {
            for (NbdClient c : clients) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            if (server != null) server.shutdown();
            try {
                if (image != null) Files.deleteIfExists(image);
            } catch (IOException ignored) {
                // the temp dir goes at the end
            }
        }
    }

    private static BlockDevice open(Kind kind, Path image) throws IOException {
        switch (kind) {
            case MEMORY:
                return new MemoryDevice(SIZE);
            case FILE:
                try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
                    f.setLength(SIZE);
                }
                return FileDevice.open(image, false);
            case BOCHS:
                BochsCreator.create(image, SIZE);
                return GrowingDevice.open(image, false, ReadOptions.STRICT);
            default:
                throw new IllegalStateException();
        }
    }

    private static void apply(Op op, String where, List<NbdClient> clients, BitmapSet bitmaps, ExportModel model,
                              Set<NbdClient> simpleStatusChecked) throws IOException {
        if (op instanceof ClearBitmap) {
            bitmaps.clear(BITMAP);
            model.clearDirty();
            return;
        }
        NbdClient c = clients.get(connOf(op) % clients.size());
        where = where + " on connection " + (connOf(op) % clients.size()) + " (" + c.framing() + ")";
        int fua = c.advertised(TransmissionFlag.SEND_FUA) ? CommandFlag.FUA.bit : 0;
        if (op instanceof Write w) {
            byte[] data = pattern(w.length(), w.seed());
            expectOk(c.write(w.offset(), data, w.fua() ? fua : 0), where);
            model.write(w.offset(), data);
            model.markDirty(w.offset(), w.length());
        } else if (op instanceof Read r) {
            Reply rep = c.read(r.offset(), r.length(), 0);
            expectOk(rep, where);
            model.checkRead(r.offset(), rep.data(), where);
        } else if (op instanceof Trim t) {
            if (!c.advertised(TransmissionFlag.SEND_TRIM)) return;
            expectOk(c.trim(t.offset(), t.length(), t.fua() ? fua : 0), where);
            model.trim(t.offset(), t.length());
            model.markDirty(t.offset(), t.length());
        } else if (op instanceof Zero z) {
            if (!c.advertised(TransmissionFlag.SEND_WRITE_ZEROES)) return;
            boolean fast = z.fastZero() && c.advertised(TransmissionFlag.SEND_FAST_ZERO);
            int flags = (z.noHole() ? CommandFlag.NO_HOLE.bit : 0) | (fast ? CommandFlag.FAST_ZERO.bit : 0)
                    | (z.fua() ? fua : 0);
            Reply rep = c.writeZeroes(z.offset(), z.length(), flags);
            model.markDirty(z.offset(), z.length()); // marked before the device answers, even if it refuses
            if (fast && rep.error() == 95) return; // ENOTSUP: a fast zero may be refused, leaving the data alone
            expectOk(rep, where);
            model.zero(z.offset(), z.length());
        } else if (op instanceof Flush) {
            expectOk(c.flush(), where);
        } else if (op instanceof Cache k) {
            expectOk(c.cache(k.offset(), k.length()), where);
        } else if (op instanceof Status st) {
            int flags = st.reqOne() ? CommandFlag.REQ_ONE.bit : 0;
            if (c.framing() == Framing.SIMPLE) { // no context can be selected without structured replies (S68)
                if (!simpleStatusChecked.add(c)) return; // once per connection is enough
                Reply rep = c.blockStatus(st.offset(), st.length(), flags);
                if (rep.error() != 22) throw new AssertionError(where + ": expected EINVAL, got " + rep);
                return;
            }
            Reply rep = c.blockStatus(st.offset(), st.length(), flags);
            expectOk(rep, where);
            checkStatus(rep, c.contexts(), st, model, where);
        } else {
            throw new IllegalStateException("unknown op " + op);
        }
    }

    private static void checkStatus(Reply rep, Map<String, Integer> ids, Status st, ExportModel model, String where) {
        long end = st.offset() + st.length();
        for (Map.Entry<String, Integer> ctx : ids.entrySet()) {
            List<Descriptor> ds = rep.status().get(ctx.getValue());
            String w = where + " " + ctx.getKey();
            long pos = st.offset();
            for (int i = 0; i < ds.size(); i++) {
                Descriptor d = ds.get(i);
                if (pos >= end) throw new AssertionError(w + ": S66: descriptor " + i + " starts past the request: " + ds);
                long dEnd = Math.min(pos + d.length(), SIZE);
                if (pos + d.length() > SIZE) throw new AssertionError(w + ": descriptor runs past the export: " + ds);
                if (ctx.getKey().equals(MetaContext.BASE_ALLOCATION)) {
                    if ((d.flags() & ~(long) (MetaContext.STATE_HOLE | MetaContext.STATE_ZERO)) != 0) {
                        throw new AssertionError(w + ": reserved flag bits: " + d);
                    }
                    if ((d.flags() & MetaContext.STATE_ZERO) != 0) model.checkZero(pos, dEnd, w + " descriptor " + d);
                } else {
                    if ((d.flags() & ~(long) MetaContext.STATE_DIRTY) != 0) throw new AssertionError(w + ": flags " + d);
                    model.checkDirty(pos, dEnd, (d.flags() & MetaContext.STATE_DIRTY) != 0, w + " descriptor " + d);
                }
                pos += d.length();
            }
        }
    }

    private static int connOf(Op op) {
        if (op instanceof Write w) return w.conn();
        if (op instanceof Read r) return r.conn();
        if (op instanceof Trim t) return t.conn();
        if (op instanceof Zero z) return z.conn();
        if (op instanceof Flush f) return f.conn();
        if (op instanceof Cache k) return k.conn();
        if (op instanceof Status s) return s.conn();
        return 0;
    }

    private static void expectOk(Reply rep, String where) {
        if (!rep.ok()) throw new AssertionError(where + ": error " + rep.error());
    }

    /** Deterministic, mostly non-zero bytes that differ per seed and per offset. */
    static byte[] pattern(int length, int seed) {
        return Patterns.mixed(length, seed);
    }
}
