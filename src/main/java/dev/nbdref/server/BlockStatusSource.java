package dev.nbdref.server;

import dev.nbdref.bitmap.DirtyBitmap;
import dev.nbdref.block.Extent;
import dev.nbdref.block.LayeredDevice;
import dev.nbdref.spec.MetaContext;
import dev.nbdref.wire.ReplyChunk;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers BLOCK_STATUS for one export, per metadata context: base:allocation from the device's extents,
 * qemu:allocation-depth from a layered device, qemu:dirty-bitmap:NAME from the export's bitmaps (S64-S67).
 */
final class BlockStatusSource {
    /** Descriptors per chunk; the client asks again for the rest (S66, S84: well under 2^20). */
    static final int MAX_DESCRIPTORS = 64 * 1024;
    /** With REQ_ONE a few runs are still fetched, so the one descriptor can be rounded to a whole block. */
    private static final int REQ_ONE_LOOKAHEAD = 64;
    /**
     * Heap one descriptor may take while an answer is built and sent: the device's extent, the descriptor, its
     * clipped copy (some 28 bytes each with their list slot) and its encoding (8 or 16 bytes), with room to spare.
     */
    static final int HEAP_PER_DESCRIPTOR = 128;

    private final Export export;
    private final int block;
    private final long maxDescriptor;
    /** Descriptors one chunk may hold: S45 keeps a chunk's variable part within the maximum payload. */
    private final int maxDescriptors;

    BlockStatusSource(Export export, int minimumBlock, boolean extended, int maxPayload) {
        this.export = export;
        this.block = minimumBlock;
        int fixed = extended ? 8 : 4;
        int each = extended ? 16 : 8;
        this.maxDescriptors = Math.max(1, Math.min(MAX_DESCRIPTORS, (maxPayload - fixed) / each));
        // compact descriptors have 32-bit lengths; keep them whole blocks
        this.maxDescriptor = extended ? Long.MAX_VALUE & -minimumBlock : 0xFFFF_FFFFL & -minimumBlock;
    }

    /** The most heap one context's answer can take (8 MiB at {@link #MAX_DESCRIPTORS}). */
    int heapPerContext(boolean one) { return (one ? REQ_ONE_LOOKAHEAD : maxDescriptors) * HEAP_PER_DESCRIPTOR; }

    /** The descriptors for {@code context} from {@code offset}; REQ_ONE gives exactly one (S65). */
    List<ReplyChunk.Descriptor> descriptors(String context, long offset, long length, boolean one) throws IOException {
        int max = one ? REQ_ONE_LOOKAHEAD : maxDescriptors;
        List<ReplyChunk.Descriptor> runs;
        if (context.equals(MetaContext.BASE_ALLOCATION)) {
            runs = allocation(offset, length, max);
        } else if (context.equals(MetaContext.QEMU_ALLOCATION_DEPTH)) {
            runs = depth(offset, length, max);
        } else if (context.startsWith(MetaContext.QEMU_DIRTY_BITMAP_PREFIX)) {
            runs = dirty(context.substring(MetaContext.QEMU_DIRTY_BITMAP_PREFIX.length()), offset, length, max);
        } else {
            throw new IllegalStateException("no source for context " + context);
        }
        return clip(runs, length, one);
    }

    private List<ReplyChunk.Descriptor> allocation(long offset, long length, int max) throws IOException {
        List<Extent> extents = ExtentAligner.align(export.device().extents(offset, length, max), block, offset,
                export.size());
        List<ReplyChunk.Descriptor> out = new ArrayList<>(extents.size());
        for (Extent x : extents) {
            int flags = (x.hole() ? MetaContext.STATE_HOLE : 0) | (x.zero() ? MetaContext.STATE_ZERO : 0);
            out.add(new ReplyChunk.Descriptor(x.length(), flags));
        }
        return out;
    }

    private List<ReplyChunk.Descriptor> depth(long offset, long length, int max) throws IOException {
        List<ReplyChunk.Descriptor> out = new ArrayList<>();
        for (LayeredDevice.DepthRun run : ((LayeredDevice) export.device()).allocationDepth(offset, length, max)) {
            out.add(new ReplyChunk.Descriptor(run.length(), run.depth()));
        }
        return out;
    }

    private List<ReplyChunk.Descriptor> dirty(String name, long offset, long length, int max) {
        DirtyBitmap bitmap = export.bitmaps().find(name)
                .orElseThrow(() -> new IllegalStateException("bitmap " + name + " was removed"));
        List<ReplyChunk.Descriptor> out = new ArrayList<>();
        for (DirtyBitmap.DirtyRun run : bitmap.runs(offset, length, max)) {
            out.add(new ReplyChunk.Descriptor(run.length(), run.dirty() ? MetaContext.STATE_DIRTY : 0));
        }
        return out;
    }

    /** Caps lengths for the framing, stops once the request is covered; only the last may pass its end (S66). */
    private List<ReplyChunk.Descriptor> clip(List<ReplyChunk.Descriptor> runs, long length, boolean one) {
        List<ReplyChunk.Descriptor> out = new ArrayList<>(Math.min(runs.size(), maxDescriptors));
        long covered = 0;
        for (ReplyChunk.Descriptor d : runs) {
            long len = Math.min(d.length(), maxDescriptor);
            if (one) len = Math.min(len, length); // S65
            out.add(new ReplyChunk.Descriptor(len, d.flags()));
            covered += len;
            if (one || covered >= length || len < d.length() || out.size() == maxDescriptors) break;
        }
        return out;
    }
}
