package dev.nbdref.bitmap;

/**
 * What {@code list} shows of one bitmap.
 *
 * @param dirtyBytes bytes covered by dirty granules
 */
public record BitmapInfo(String name, long granularity, boolean enabled, long dirtyBytes) {

    static BitmapInfo of(InMemoryBitmap b) {
        return new BitmapInfo(b.name(), b.granularity(), b.enabled(), b.dirtyBytes());
    }
}
