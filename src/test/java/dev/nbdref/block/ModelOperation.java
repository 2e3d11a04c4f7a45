package dev.nbdref.block;

import static org.quicktheories.generators.SourceDSL.integers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.quicktheories.core.Gen;

/** One step of the model-based test, applied both to a device and to a plain byte-array model of it. */
record ModelOperation(Kind kind, int offset, int length, int seed) {

    enum Kind { WRITE, ZERO, ZERO_NO_HOLE, ZERO_FAST, TRIM }

    /** Operations on a device of {@code size} bytes; offsets are often block-aligned to exercise whole pages. */
    static Gen<ModelOperation> generator(int size) {
        Gen<Integer> anyOffset = integers().between(0, size - 1);
        Gen<Integer> alignedOffset = integers().between(0, size / 4096 - 1).map(block -> block * 4096);
        Gen<Integer> anyLength = integers().between(0, 96 * 1024);
        Gen<Integer> alignedLength = integers().between(1, 24).map(blocks -> blocks * 4096);
        return integers().between(0, Kind.values().length - 1).zip(
                anyOffset.mix(alignedOffset), anyLength.mix(alignedLength), integers().between(0, 250),
                (kind, offset, length, seed) ->
                        new ModelOperation(Kind.values()[kind], offset, Math.min(length, size - offset), seed));
    }

    /** Applies the step to the device and mirrors its documented effect in the model. */
    void apply(BlockDevice device, byte[] model, boolean trimZeroes, boolean fastZero) throws IOException {
        switch (kind) {
            case WRITE -> {
                byte[] data = Patterns.counting(length, seed);
                device.write(offset, ByteBuffer.wrap(data), seed % 2 == 0);
                System.arraycopy(data, 0, model, offset, length);
            }
            case ZERO -> zero(device, model, true, false);
            case ZERO_NO_HOLE -> zero(device, model, false, false);
            case ZERO_FAST -> {
                try {
                    zero(device, model, seed % 2 == 0, true);
                } catch (FastZeroUnsupportedException e) {
                    if (fastZero || length == 0) throw e;
                }
            }
            case TRIM -> {
                device.trim(offset, length, false);
                if (trimZeroes) Arrays.fill(model, offset, offset + length, (byte) 0);
            }
        }
    }

    private void zero(BlockDevice device, byte[] model, boolean mayTrim, boolean fastOnly) throws IOException {
        device.writeZeroes(offset, length, mayTrim, fastOnly, false);
        Arrays.fill(model, offset, offset + length, (byte) 0);
    }
}
