package dev.nbdref.bitmap;

import java.util.List;
import java.util.Optional;

/** The dirty bitmaps of one export, as the NBD server sees them (read-only view plus marking). */
public interface ExportBitmaps {

    /** Bitmap names in a stable order. */
    List<String> names();

    Optional<DirtyBitmap> find(String name);

    /** An export with no bitmaps. */
    ExportBitmaps NONE = new ExportBitmaps() {
        public List<String> names() { return List.of(); }
        public Optional<DirtyBitmap> find(String name) { return Optional.empty(); }
    };
}
