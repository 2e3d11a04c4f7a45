package dev.nbdref.server;

import dev.nbdref.block.MemoryDevice;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.MetaContext;
import dev.nbdref.testing.Verifies;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

/**
 * Extended headers change the framing, not the meaning: the same random workload of WRITE, WRITE_ZEROES (with
 * and without NO_HOLE), TRIM, READ, FLUSH and BLOCK_STATUS (base:allocation, with and without REQ_ONE) on two
 * fresh 4 MiB memory exports, one driven with compact headers and structured replies and one with extended
 * headers, gives the same bytes for every READ and the same extents for every BLOCK_STATUS (after merging equal
 * neighbours and clipping to the request), and both agree with a byte-array model of the export.
 */
class ExtendedHeadersEquivalencePropertyTest {
    private static final int SIZE = 4 << 20;
    private static final int MAX_IO = 300_000;
    private static final int ZERO = MetaContext.STATE_ZERO;

    // ---------------------------------------------------------------- operations

    /** One request of the workload; toString is what a falsified run prints. */
    sealed interface Op permits Write, WriteZeroes, Trim, Read, Flush, Status {}

    /** WRITE of {@link TransmissionClient#pattern} bytes for {@code seed}. */
    record Write(long offset, int length, int seed) implements Op {
        @Override public String toString() { return "WRITE(" + offset + "+" + length + ", seed " + seed + ")"; }
    }

    record WriteZeroes(long offset, int length, boolean noHole) implements Op {
        @Override public String toString() {
            return "WRITE_ZEROES(" + offset + "+" + length + (noHole ? ", NO_HOLE)" : ")");
        }
    }

    record Trim(long offset, int length) implements Op {
        @Override public String toString() { return "TRIM(" + offset + "+" + length + ")"; }
    }

    record Read(long offset, int length) implements Op {
        @Override public String toString() { return "READ(" + offset + "+" + length + ")"; }
    }

    record Flush() implements Op {
        @Override public String toString() { return "FLUSH"; }
    }

    record Status(long offset, int length, boolean reqOne) implements Op {
        @Override public String toString() {
            return "BLOCK_STATUS(" + offset + "+" + length + (reqOne ? ", REQ_ONE)" : ")");
        }
    }

    private record Range(long offset, int length) {}

    /** A range inside the export, aligned to a randomly chosen unit (1, 512, 4096 or the 64 KiB memory page). */
    private static Gen<Range> ranges(int maxLength) {
        return Generate.pick(List.of(65536, 4096, 512, 1)).<Range>flatMap(unit ->
                Generate.range(0, SIZE / unit - 1).zip(Generate.range(1, Math.max(1, maxLength / unit)), (k, m) -> {
                    long offset = (long) k * unit;
                    return new Range(offset, (int) Math.min((long) m * unit, SIZE - offset));
                }));
    }

    private static Gen<Op> ops() {
        Gen<Op> write = ranges(MAX_IO).zip(Generate.range(0, 1000), (r, s) -> new Write(r.offset(), r.length(), s));
        Gen<Op> zeroes = ranges(SIZE).zip(Generate.booleans(), (r, n) -> new WriteZeroes(r.offset(), r.length(), n));
        Gen<Op> trim = ranges(SIZE).map(r -> new Trim(r.offset(), r.length()));
        Gen<Op> read = ranges(1 << 20).map(r -> new Read(r.offset(), r.length()));
        Gen<Op> flush = Generate.constant(new Flush());
        Gen<Op> status = ranges(SIZE).zip(Generate.booleans(), (r, one) -> new Status(r.offset(), r.length(), one));
        return Generate.frequency(List.of(Pair.of(5, write), Pair.of(2, zeroes), Pair.of(2, trim), Pair.of(4, read),
                Pair.of(1, flush), Pair.of(4, status)));
    }

    // ---------------------------------------------------------------- the property

    /** The shortest failing prefix QuickTheories ran into, so it can be minimised further after the run. */
    private static List<Op> shortestFailure;

    /**
     * For ~50 random workloads of up to 25 requests, compact+structured and extended headers agree on every READ
     * and BLOCK_STATUS, and with the model. A failure prints QuickTheories' shrunk op list, then the failing
     * workload minimised by dropping operations one at a time while it still fails.
     */
    @Test
    @Verifies({"S71", "S48", "S55", "S57", "S63", "S64", "S65", "S66", "S67"})
    void compactAndExtendedHeadersGiveTheSameResults() {
        shortestFailure = null;
        try {
            qt().withFixedSeed(0xE47E4D3D_5EEDL).withExamples(50).withShrinkCycles(40)
                    .forAll(lists().of(ops()).ofSizeBetween(1, 25))
                    .checkAssert(ops -> {
                        Failure f = execute(ops);
                        if (f == null) return;
                        List<Op> prefix = List.copyOf(ops.subList(0, Math.min(f.index() + 1, ops.size())));
                        if (shortestFailure == null || prefix.size() < shortestFailure.size()) shortestFailure = prefix;
                        throw f.error();
                    });
        } catch (AssertionError e) {
            if (shortestFailure == null) throw e;
            List<Op> ops = minimise(shortestFailure);
            Failure f = execute(ops);
            throw new AssertionError(e.getMessage() + "\n\nMinimised failing workload (" + ops.size() + " ops):\n"
                    + ops + "\nfails with: " + (f == null ? "(no longer fails)" : f.error().getMessage()),
                    f == null ? e : f.error());
        }
    }

    /** Where a workload failed: the index of the operation (ops.size() for the final whole-export READ). */
    private record Failure(int index, AssertionError error) {}

    /** Drops operations one at a time while the workload still fails (at most 300 runs); keeps the failing prefix. */
    private static List<Op> minimise(List<Op> failing) {
        List<Op> ops = new ArrayList<>(failing);
        int budget = 300;
        boolean progress = true;
        while (progress && budget > 0) {
            progress = false;
            for (int i = ops.size() - 1; i >= 0 && budget > 0; i--) {
                List<Op> candidate = new ArrayList<>(ops);
                candidate.remove(i);
                budget--;
                Failure f = candidate.isEmpty() ? null : execute(candidate);
                if (f != null) {
                    ops = new ArrayList<>(candidate.subList(0, Math.min(f.index() + 1, candidate.size())));
                    progress = true;
                    break;
                }
            }
        }
        return ops;
    }

    private static TestServer freshServer() throws Exception {
        return new TestServer(List.of(new Export("disk", null, new MemoryDevice(SIZE), false)));
    }

    /** Runs a workload on two fresh servers; null when every check passed. */
    private static Failure execute(List<Op> ops) {
        int at = 0;
        try (TestServer compactServer = freshServer();
             TestServer extendedServer = freshServer();
             TransmissionClient compact = TransmissionClient.open(compactServer, "disk",
                     TransmissionClient.Mode.BLOCK_STATUS);
             ExtendedClient extended = ExtendedClient.open(extendedServer, "disk", MetaContext.BASE_ALLOCATION)) {
            Model model = new Model();
            for (; at < ops.size(); at++) apply(ops.get(at), "op " + at + " " + ops.get(at), compact, extended, model);
            apply(new Read(0, SIZE), "final READ of the whole export", compact, extended, model);
            compact.disconnect();
            extended.disconnect();
            return null;
        } catch (AssertionError e) {
            return new Failure(at, e);
        } catch (Exception e) {
            return new Failure(at, new AssertionError("op " + at + ": workload failed: " + e, e));
        }
    }

    private static void apply(Op op, String where, TransmissionClient compact, ExtendedClient extended, Model model)
            throws Exception {
        if (op instanceof Write w) {
            byte[] data = TransmissionClient.pattern(w.length(), w.seed());
            assertEquals(0, compact.errorOf(compact.req(CommandType.WRITE, w.offset(), w.length()), data), where);
            assertEquals(0, extended.errorOf(extended.writeReq(0, w.offset(), w.length()), data), where);
            model.write(w.offset(), data);
        } else if (op instanceof WriteZeroes z) {
            int flags = z.noHole() ? CommandFlag.NO_HOLE.bit : 0;
            assertEquals(0, compact.errorOf(compact.req(flags, CommandType.WRITE_ZEROES, z.offset(), z.length())), where);
            assertEquals(0, extended.errorOf(extended.req(flags, CommandType.WRITE_ZEROES, z.offset(), z.length())),
                    where);
            model.zero(z.offset(), z.length());
        } else if (op instanceof Trim t) {
            assertEquals(0, compact.errorOf(compact.req(CommandType.TRIM, t.offset(), t.length())), where);
            assertEquals(0, extended.errorOf(extended.req(CommandType.TRIM, t.offset(), t.length())), where);
            model.trim(t.offset(), t.length());
        } else if (op instanceof Read r) {
            byte[] a = compact.read(r.offset(), r.length());
            byte[] b = extended.read(r.offset(), r.length());
            assertArrayEquals(a, b, where + ": compact and extended READ differ");
            model.check(r.offset(), b, where);
        } else if (op instanceof Flush) {
            assertEquals(0, compact.errorOf(compact.req(CommandType.FLUSH, 0, 0)), where);
            assertEquals(0, extended.errorOf(extended.req(CommandType.FLUSH, 0, 0)), where);
        } else if (op instanceof Status s) {
            int flags = s.reqOne() ? CommandFlag.REQ_ONE.bit : 0;
            List<Run> a = new ArrayList<>();
            long pos = s.offset();
            for (TransmissionClient.Descriptor d : compact.blockStatus(flags, s.offset(), s.length())) {
                a.add(new Run(pos, pos + d.length(), Integer.toUnsignedLong(d.flags())));
                pos += d.length();
            }
            List<Run> b = new ArrayList<>();
            pos = s.offset();
            for (ExtendedClient.Descriptor d : extended.blockStatus(flags, s.offset(), s.length())) {
                b.add(new Run(pos, pos + d.length(), d.status()));
                pos += d.length();
            }
            List<Run> na = normalise(a, s.offset() + s.length());
            List<Run> nb = normalise(b, s.offset() + s.length());
            assertEquals(na, nb, where + ": compact and extended extents differ");
            for (Run run : nb) {
                assertEquals(0, run.flags() & ~(long) (MetaContext.STATE_HOLE | ZERO), where + ": reserved bits");
                if ((run.flags() & ZERO) != 0) model.checkZero(run.start(), run.end(), where + ": " + run);
            }
        } else {
            throw new IllegalStateException("unknown op " + op);
        }
    }

    /** A status run [start, end) with its flags. */
    record Run(long start, long end, long flags) {}

    /** Clips runs to the request end and merges neighbours with equal flags. */
    static List<Run> normalise(List<Run> runs, long end) {
        List<Run> out = new ArrayList<>();
        for (Run r : runs) {
            if (r.start() >= end) break;
            Run c = new Run(r.start(), Math.min(r.end(), end), r.flags());
            Run last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && last.end() == c.start() && last.flags() == c.flags()) {
                out.set(out.size() - 1, new Run(last.start(), c.end(), c.flags()));
            } else {
                out.add(c);
            }
        }
        assertTrue(!out.isEmpty(), "at least one descriptor");
        return out;
    }

    /** The export's expected contents; trimmed bytes are undefined until written again. */
    private static final class Model {
        private final byte[] bytes = new byte[SIZE];
        private final BitSet undefined = new BitSet(SIZE);

        void write(long offset, byte[] data) {
            System.arraycopy(data, 0, bytes, (int) offset, data.length);
            undefined.clear((int) offset, (int) offset + data.length);
        }

        void zero(long offset, int length) {
            Arrays.fill(bytes, (int) offset, (int) offset + length, (byte) 0);
            undefined.clear((int) offset, (int) offset + length);
        }

        void trim(long offset, int length) {
            undefined.set((int) offset, (int) offset + length);
        }

        void check(long offset, byte[] got, String where) {
            for (int i = 0; i < got.length; i++) {
                int at = (int) offset + i;
                if (!undefined.get(at) && bytes[at] != got[i]) {
                    throw new AssertionError(where + ": byte at " + at + " is " + got[i] + ", the model says "
                            + bytes[at]);
                }
            }
        }

        /** A range reported ZERO reads as zero wherever the model knows the contents. */
        void checkZero(long start, long end, String where) {
            for (int at = (int) start; at < Math.min(end, SIZE); at++) {
                if (!undefined.get(at) && bytes[at] != 0) {
                    throw new AssertionError(where + " claims zeroes, but byte " + at + " is " + bytes[at]);
                }
            }
        }
    }
}
