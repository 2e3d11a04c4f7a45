package dev.nbdref.bochs;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The virtual disk a Bochs image stands for: a Growing image alone (absent sectors read as zeroes), or
 * an Undoable or Volatile redolog over its flat base image (absent sectors read from the base).
 */
public final class BochsDisk implements Closeable {
    private final BochsImage image;
    private final Path basePath;
    private final FileChannel base;

    private BochsDisk(BochsImage image, Path basePath, FileChannel base) {
        this.image = image;
        this.basePath = basePath;
        this.base = base;
    }

    /** Opens an image; a redolog's base is found by Bochs' naming convention (BASE.redolog). */
    public static BochsDisk open(Path image, ReadOptions options) throws IOException {
        return open(image, null, options);
    }

    /** Opens an image; {@code base} names a redolog's base image (null: find it by name). */
    public static BochsDisk open(Path imagePath, Path base, ReadOptions options) throws IOException {
        BochsImage image = BochsImage.open(imagePath, options);
        try {
            return over(image, base);
        } catch (IOException | RuntimeException e) {
            image.close();
            throw e;
        }
    }

    /** Wraps an open image; takes ownership of it. */
    static BochsDisk over(BochsImage image, Path base) throws IOException {
        Subtype subtype = image.header().subtype();
        if (!subtype.needsBase()) {
            if (base != null) throw new IOException("a Growing image has no base; do not give one");
            return new BochsDisk(image, null, null);
        }
        Path basePath = base != null ? base : RedologBase.locate(image.path(), subtype);
        FileChannel channel = FileChannel.open(basePath, StandardOpenOption.READ);
        try {
            long baseSize = channel.size();
            long disk = image.geometry().diskBytes();
            if (baseSize != disk) {
                throw BochsRule.B25.error("the redolog describes a " + disk + "-byte disk but its base "
                        + basePath + " has " + baseSize + " bytes");
            }
            return new BochsDisk(image, basePath, channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    public BochsImage image() {
        return image;
    }

    /** The base image of a redolog; null for a Growing image. */
    public Path basePath() {
        return basePath;
    }

    public boolean hasBase() {
        return base != null;
    }

    public long size() {
        return image.size();
    }

    FileChannel baseChannel() {
        return base;
    }

    /** Fills {@code dst} with the disk's bytes at {@code offset}; a read past the end is a B22 error. */
    public void read(long offset, ByteBuffer dst) throws IOException {
        image.checkRange(offset, dst.remaining());
        long pos = offset;
        while (dst.hasRemaining()) {
            Span span = image.span(pos, dst.remaining());
            ByteBuffer part = dst.duplicate();
            part.limit(part.position() + (int) span.length());
            if (span.isPresent()) {
                image.readPresent(span, part);
            } else if (base != null) {
                ImageIo.readOrZero(base, part, pos);
            } else {
                ImageIo.putZeroes(part, span.length());
            }
            dst.position(dst.position() + (int) span.length());
            pos += span.length();
        }
    }

    /** Calls {@code visitor} for each span from {@code offset} until it returns false or {@code length} is covered. */
    void visitSpans(long offset, long length, SpanVisitor visitor) throws IOException {
        image.checkRange(offset, length);
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            Span span = image.span(pos, end - pos);
            if (!visitor.visit(pos, span)) return;
            pos += span.length();
        }
    }

    /** Receives spans in order; returns false to stop. */
    interface SpanVisitor {
        boolean visit(long offset, Span span) throws IOException;
    }

    @Override
    public void close() throws IOException {
        try {
            image.close();
        } finally {
            if (base != null) base.close();
        }
    }
}
