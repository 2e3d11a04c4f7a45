package dev.nbdref.block;

/**
 * The fallback where no native hole support exists (another OS, no JNA, or an old file system): the whole
 * file is data and every hole operation is unsupported, so trim becomes a no-op and zeroing writes zeroes.
 */
final class NoSparseFileOps implements SparseFileOps {
    private final long fileSize;

    NoSparseFileOps(long fileSize) {
        this.fileSize = fileSize;
    }

    @Override public boolean canPunchHoles() { return false; }

    @Override public boolean canZeroRange() { return false; }

    @Override public long nextData(long offset) { return offset < fileSize ? offset : NO_MORE_DATA; }

    @Override public long nextHole(long offset) { return Math.max(offset, fileSize); }

    @Override public boolean punchHole(long offset, long length) { return false; }

    @Override public boolean zeroRange(long offset, long length) { return false; }

    @Override public boolean allocate(long offset, long length) { return false; }

    @Override public void close() {}
}
