package dev.nbdref.bitmap;

import java.util.List;

/**
 * Everything a bitmap store file says.
 *
 * @param inUse     a server had the store open and did not shut down cleanly (or still has it open)
 * @param imageSize the image size the bitmaps were made for
 */
record StoreContents(boolean inUse, long imageSize, List<StoredBitmap> bitmaps) {
}
