package dev.nbdref.model;

import dev.nbdref.bitmap.BitmapSet;
import dev.nbdref.bitmap.DirtyTrackingDevice;
import dev.nbdref.block.BlockDevice;
import dev.nbdref.block.Extent;
import dev.nbdref.model.ServerModelPropertyTest.Stack;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

/**
 * Tests the model test itself: each {@link Bug} is a plausible backend or bitmap mistake planted under the
 * server; the model test, from its usual fixed seed, must fail and shrink the failure to a scenario of a few
 * steps. The shrunk scenarios are printed, so a run shows what the model's counterexamples look like.
 */
class ServerModelMutationTest {
    /** The most steps a shrunk counterexample of these one-mistake bugs should need. */
    private static final int SMALL = 3;

    enum Bug {
        /** Off by one: the last byte of every write never reaches the backend. */
        WRITE_DROPS_LAST_BYTE((backend, bitmaps) -> DirtyTrackingDevice.wrap(new ForwardingDevice(backend) {
            @Override
            public void write(long offset, ByteBuffer src, boolean fua) throws IOException {
                if (src.remaining() > 1) src.limit(src.limit() - 1);
                inner.write(offset, src, fua);
            }
        }, bitmaps)),

        /** Allocation claims every byte is an unallocated zero hole, data or not. */
        STATUS_SAYS_ALL_ZERO((backend, bitmaps) -> DirtyTrackingDevice.wrap(new ForwardingDevice(backend) {
            @Override
            public List<Extent> extents(long offset, long length, int maxExtents) {
                return List.of(Extent.hole(size() - offset));
            }
        }, bitmaps)),

        /** WRITE_ZEROES with NO_HOLE (the backend may not punch) silently does nothing. */
        NO_HOLE_ZEROES_IGNORED((backend, bitmaps) -> DirtyTrackingDevice.wrap(new ForwardingDevice(backend) {
            @Override
            public void writeZeroes(long offset, long length, boolean mayTrim, boolean fastOnly, boolean fua)
                    throws IOException {
                if (mayTrim) inner.writeZeroes(offset, length, true, fastOnly, fua);
            }
        }, bitmaps)),

        /** TRIM rounded out to whole 64 KiB pages, discarding neighbouring data the client never trimmed. */
        TRIM_ROUNDS_OUT((backend, bitmaps) -> DirtyTrackingDevice.wrap(new ForwardingDevice(backend) {
            @Override
            public void trim(long offset, long length, boolean fua) throws IOException {
                long page = 64 * 1024;
                long from = offset / page * page;
                long to = Math.min(size(), (offset + length + page - 1) / page * page);
                inner.writeZeroes(from, to - from, true, false, fua);
            }
        }, bitmaps)),

        /** The dirty bitmap misses WRITE_ZEROES: it goes straight to the backend, around the tracking layer. */
        BITMAP_MISSES_ZEROES((backend, bitmaps) -> new ForwardingDevice(DirtyTrackingDevice.wrap(backend, bitmaps)) {
            @Override
            public void writeZeroes(long offset, long length, boolean mayTrim, boolean fastOnly, boolean fua)
                    throws IOException {
                backend.writeZeroes(offset, length, mayTrim, fastOnly, fua);
            }
        });

        final Stack stack;

        Bug(Stack stack) {
            this.stack = stack;
        }
    }

    @AfterAll
    static void removeExports() throws IOException {
        ServerModelPropertyTest.removeTempDir();
    }

    private static final Pattern STEPS = Pattern.compile("minimised scenario \\((\\d+) of (\\d+) steps\\)");

    @ParameterizedTest
    @EnumSource(Bug.class)
    void theModelCatchesThePlantedBugAndShrinksIt(Bug bug) {
        AssertionError caught = null;
        try {
            qt().withFixedSeed(0x5EED_0F_8L).withExamples(50).withShrinkCycles(0)
                    .forAll(ServerModelPropertyTest.scenarios())
                    .checkAssert(s -> ServerModelPropertyTest.runAndMinimise(s, bug.stack));
        } catch (AssertionError e) {
            caught = e;
        }
        assertNotNull(caught, bug + ": the model test passed with the bug planted");
        String message = caught.getMessage();
        Matcher m = STEPS.matcher(message);
        assertTrue(m.find(), bug + ": no minimised scenario in the failure:\n" + message);
        String shrunk = message.substring(m.start());
        int trace = shrunk.indexOf("\n\tat ");
        System.out.println("planted bug " + bug + ":\n" + (trace < 0 ? shrunk : shrunk.substring(0, trace)));
        int steps = Integer.parseInt(m.group(1));
        assertTrue(steps <= SMALL, bug + ": shrunk only to " + steps + " steps:\n" + message);
    }
}
