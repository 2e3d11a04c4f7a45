package dev.nbdref.server;

import dev.nbdref.block.Extent;
import dev.nbdref.testing.Verifies;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

/** Rounding extents to the minimum block never claims more than the bytes underneath support. */
class ExtentAlignerPropertyTest {
    private static final int BLOCK = 512;

    @Test
    @Verifies({"S84", "S67"})
    void alignedExtentsAreSoundAlignedAndConsecutive() {
        qt().withFixedSeed(0x616c69676eL).withExamples(2000)
                .forAll(lists().of(integers().between(1, 3000)).ofSizeBetween(1, 12), integers().between(0, 3))
                .checkAssert((lengths, stateSeed) -> check(extents(lengths, stateSeed)));
    }

    private static List<Extent> extents(List<Integer> lengths, int seed) {
        List<Extent> out = new ArrayList<>();
        int s = seed;
        for (int len : lengths) {
            s = (s * 7 + 3) & 3;
            out.add(s == 0 ? Extent.data(len) : s == 1 ? Extent.hole(len) : s == 2 ? Extent.allocatedZero(len)
                    : Extent.data(len));
        }
        return out;
    }

    private static void check(List<Extent> in) {
        long total = in.stream().mapToLong(Extent::length).sum();
        long limit = total + (total % 2 == 0 ? 0 : 100_000); // sometimes the extents reach the device end
        List<Extent> out = ExtentAligner.align(in, BLOCK, 0, limit);
        assertTrue(!out.isEmpty());
        long pos = 0;
        for (int i = 0; i < out.size(); i++) {
            Extent e = out.get(i);
            boolean last = i == out.size() - 1;
            if (!(last && pos + e.length() == limit)) assertEquals(0, e.length() % BLOCK, "unaligned: " + out + " from " + in);
            long inStart = 0;
            for (Extent under : in) { // every input extent overlapping this output extent must support its claims
                long inEnd = inStart + under.length();
                if (inEnd > pos && inStart < pos + e.length()) {
                    if (e.hole()) assertTrue(under.hole(), "claimed a hole over allocated bytes: " + out + " from " + in);
                    if (e.zero()) assertTrue(under.zero(), "claimed zero over data: " + out + " from " + in);
                }
                inStart = inEnd;
            }
            pos += e.length();
        }
    }
}
