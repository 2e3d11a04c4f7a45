package dev.nbdref.bitmap;

/**
 * One bitmap as the store file holds it: the words are laid out as in {@link InMemoryBitmap}.
 *
 * @param words one bit per granule, {@code ceil(granules / 64)} words
 */
record StoredBitmap(String name, long granularity, boolean enabled, long[] words) {

    InMemoryBitmap toBitmap(long deviceSize) {
        return InMemoryBitmap.restore(name, granularity, deviceSize, enabled, words);
    }
}
