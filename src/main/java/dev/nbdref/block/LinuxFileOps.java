package dev.nbdref.block;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hole operations through libc via JNA, on a second descriptor of the same file: {@code FileChannel} hides
 * its descriptor, and a descriptor opened on the same path shares the inode, which is all that
 * {@code lseek(SEEK_DATA/SEEK_HOLE)} and {@code fallocate} act on.
 *
 * <p>A mode the file system refuses (EOPNOTSUPP, ENOSYS, EINVAL) is remembered, so later calls skip the
 * system call and report "unsupported" at once.
 */
final class LinuxFileOps implements SparseFileOps {
    private static final Logger LOG = LoggerFactory.getLogger(LinuxFileOps.class);

    // Linux values, identical on x86_64 and aarch64, the only platforms enabled (see available()).
    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int FALLOC_FL_KEEP_SIZE = 0x01;
    private static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    private static final int FALLOC_FL_ZERO_RANGE = 0x10;
    private static final int EINTR = 4;
    private static final int ENXIO = 6;
    private static final int EINVAL = 22;
    private static final int EFBIG = 27;
    private static final int ENOSPC = 28;
    private static final int ENOSYS = 38;
    private static final int EOPNOTSUPP = 95;
    private static final int EDQUOT = 122;

    /** The libc functions used; {@code throws LastErrorException} makes JNA capture errno for us. */
    interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        long lseek(int fd, long offset, int whence) throws LastErrorException;

        int fallocate(int fd, int mode, long offset, long length) throws LastErrorException;
    }

    /** Loads libc once, on first use; empty where it cannot be bound. Immutable once initialised. */
    private static final class Binding {
        static final Optional<LibC> LIBC = load();

        private static Optional<LibC> load() {
            // off_t must be 64 bits for the long parameters to match, and the flag values above are the
            // generic Linux ones: restrict to the 64-bit platforms where both are known to hold.
            if (!Platform.isLinux() || !(Platform.isIntel() || Platform.isARM()) || Native.LONG_SIZE != 8) {
                return Optional.empty();
            }
            try {
                return Optional.of(Native.load(Platform.C_LIBRARY_NAME, LibC.class));
            } catch (LinkageError e) {
                LOG.warn("libc not available through JNA ({}); files are treated as fully allocated", e.toString());
                return Optional.empty();
            }
        }
    }

    private final LibC libc;
    private final int fd;
    /** Operations hold the read side; close holds the write side, so no call can reach a reused fd number. */
    private final ReadWriteLock closeLock = new ReentrantReadWriteLock();
    private boolean closed;
    private volatile boolean punchSupported;
    private volatile boolean zeroRangeSupported = true;
    private volatile boolean allocateSupported = true;
    private volatile boolean seekSupported = true;

    private LinuxFileOps(LibC libc, int fd, boolean readOnly, long fileSize) {
        this.libc = libc;
        this.fd = fd;
        this.punchSupported = !readOnly && probePunch(fileSize);
    }

    /** Opens a second descriptor on {@code path}; empty when native support is unavailable here. */
    static Optional<SparseFileOps> open(Path path, boolean readOnly, long fileSize) {
        Optional<LibC> libc = Binding.LIBC;
        if (libc.isEmpty()) return Optional.empty();
        try {
            int fd = libc.get().open(path.toAbsolutePath().toString(), (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
            return Optional.of(new LinuxFileOps(libc.get(), fd, readOnly, fileSize));
        } catch (LastErrorException e) {
            LOG.warn("cannot open {} for hole operations ({}); treating it as fully allocated", path, e.getMessage());
            return Optional.empty();
        }
    }

    @Override
    public boolean canPunchHoles() {
        return punchSupported;
    }

    @Override
    public boolean canZeroRange() {
        return zeroRangeSupported;
    }

    @Override
    public long nextData(long offset) throws IOException {
        if (!seekSupported) return offset;
        try {
            return seek(offset, SEEK_DATA);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == ENXIO) return NO_MORE_DATA;
            if (unsupported(e)) {
                seekSupported = false;
                return offset;
            }
            throw failure("lseek(SEEK_DATA)", e);
        }
    }

    @Override
    public long nextHole(long offset) throws IOException {
        if (!seekSupported) return Long.MAX_VALUE;
        try {
            return seek(offset, SEEK_HOLE);
        } catch (LastErrorException e) {
            // ENXIO: the offset is at or past the end of the file, which counts as a hole.
            if (e.getErrorCode() == ENXIO) return offset;
            if (unsupported(e)) {
                seekSupported = false;
                return Long.MAX_VALUE;
            }
            throw failure("lseek(SEEK_HOLE)", e);
        }
    }

    @Override
    public boolean punchHole(long offset, long length) throws IOException {
        if (!punchSupported) return false;
        // Partial blocks at the edges are zeroed by the kernel, so the whole range reads as zeroes.
        punchSupported = fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length, "punch hole");
        return punchSupported;
    }

    @Override
    public boolean zeroRange(long offset, long length) throws IOException {
        if (!zeroRangeSupported) return false;
        zeroRangeSupported = fallocate(FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, offset, length, "zero range");
        return zeroRangeSupported;
    }

    @Override
    public boolean allocate(long offset, long length) throws IOException {
        if (!allocateSupported) return false;
        allocateSupported = fallocate(FALLOC_FL_KEEP_SIZE, offset, length, "allocate");
        return allocateSupported;
    }

    @Override
    public void close() throws IOException {
        closeLock.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            libc.close(fd);
        } catch (LastErrorException e) {
            throw new IOException("close of hole descriptor failed: " + e.getMessage(), e);
        } finally {
            closeLock.writeLock().unlock();
        }
    }

    /**
     * Punching at the file end changes no data but still reaches the file system's fallocate, which
     * refuses there as anywhere else when it cannot punch: an honest answer at open, without side effects.
     */
    private boolean probePunch(long fileSize) {
        try {
            return fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, fileSize, 1, "punch probe");
        } catch (IOException e) {
            LOG.debug("punch-hole probe failed: {}", e.getMessage());
            return false;
        }
    }

    private long seek(long offset, int whence) throws IOException {
        closeLock.readLock().lock();
        try {
            requireOpen();
            return libc.lseek(fd, offset, whence);
        } finally {
            closeLock.readLock().unlock();
        }
    }

    /** Runs fallocate; false when the file system does not support the mode (nothing was changed). */
    private boolean fallocate(int mode, long offset, long length, String what) throws IOException {
        closeLock.readLock().lock();
        try {
            requireOpen();
            while (true) {
                try {
                    libc.fallocate(fd, mode, offset, length);
                    return true;
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == EINTR) continue;
                    if (unsupported(e)) {
                        LOG.debug("{} unsupported here ({}); falling back", what, e.getMessage());
                        return false;
                    }
                    throw failure(what, e);
                }
            }
        } finally {
            closeLock.readLock().unlock();
        }
    }

    private void requireOpen() throws IOException {
        if (closed) throw new IOException("file device is closed");
    }

    private static boolean unsupported(LastErrorException e) {
        int errno = e.getErrorCode();
        return errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL;
    }

    private static IOException failure(String what, LastErrorException e) {
        int errno = e.getErrorCode();
        String message = what + " failed: " + e.getMessage();
        if (errno == ENOSPC || errno == EDQUOT || errno == EFBIG) return new NoSpaceException(message, e);
        return new IOException(message, e);
    }
}
