package dev.nbdref.server;

import dev.nbdref.block.Extent;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ExtentAlignerTest {

    @Test
    void byteGranularExtentsPassThroughUnchanged() {
        List<Extent> in = List.of(Extent.data(3), Extent.hole(5));
        assertEquals(in, ExtentAligner.align(in, 1, 0, 8));
    }

    @Test
    void aBlockWithAnyDataIsReportedAsData() {
        // data [0,1000), hole [1000,8192): with 4096-byte blocks the first block is data, the second a hole
        List<Extent> out = ExtentAligner.align(List.of(Extent.data(1000), Extent.hole(7192)), 4096, 0, 8192);
        assertEquals(List.of(Extent.data(4096), Extent.hole(4096)), out);
    }

    @Test
    void aBlockOfHoleAndAllocatedZeroesReadsAsZeroButIsNotAHole() {
        List<Extent> out = ExtentAligner.align(List.of(Extent.hole(100), Extent.allocatedZero(3996)), 4096, 0, 4096);
        assertEquals(List.of(Extent.allocatedZero(4096)), out);
    }

    @Test
    void anUnalignedDeviceEndKeepsItsTail() {
        List<Extent> out = ExtentAligner.align(List.of(Extent.hole(4096), Extent.data(100)), 4096, 0, 4196);
        assertEquals(List.of(Extent.hole(4096), Extent.data(100)), out);
    }

    @Test
    void tooFewExtentsForOneBlockClaimNothing() {
        List<Extent> out = ExtentAligner.align(List.of(Extent.hole(100)), 4096, 0, 1 << 20);
        assertEquals(List.of(Extent.data(4096)), out);
    }

    @Test
    void everyLengthButTheLastIsAMultipleOfTheBlock() {
        List<Extent> in = List.of(Extent.data(700), Extent.hole(9000), Extent.data(1), Extent.hole(20000));
        List<Extent> out = ExtentAligner.align(in, 512, 0, 29701);
        long total = 0;
        for (int i = 0; i < out.size(); i++) {
            if (i < out.size() - 1) assertEquals(0, out.get(i).length() % 512, out.toString());
            if (i > 0) assertEquals(false, out.get(i).sameState(out.get(i - 1)), "adjacent runs must differ: " + out);
            total += out.get(i).length();
        }
        assertEquals(29701, total);
    }
}
