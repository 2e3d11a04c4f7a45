package dev.nbdref.block;

import java.io.IOException;
import java.util.List;

/**
 * A device made of layers (an overlay or redolog over a base), which can say which layer holds each
 * byte. The server exposes this as the {@code qemu:allocation-depth} metadata context.
 */
public interface LayeredDevice extends BlockDevice {

    /**
     * Runs of allocation depth from {@code offset}, with the same shape rules as {@link #extents}: consecutive,
     * never empty, the first starting at {@code offset}, at most {@code maxRuns}, never past the device end.
     * Depth 0 means no layer holds the bytes, 1 the top layer, 2 the layer below it, and so on.
     */
    List<DepthRun> allocationDepth(long offset, long length, int maxRuns) throws IOException;

    /** A run of bytes held by the same layer. */
    record DepthRun(long length, int depth) {
        public DepthRun {
            if (length <= 0) throw new IllegalArgumentException("run length must be positive: " + length);
            if (depth < 0) throw new IllegalArgumentException("depth must not be negative: " + depth);
        }
    }
}
