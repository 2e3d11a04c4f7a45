package dev.nbdref.bitmap;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * Encodes and decodes the bitmap store file, version 1, as documented in spec/bitmap-format.md: a 32-byte
 * header (magic, version, flags, image size, bitmap count, CRC-32C), then one entry per bitmap (name,
 * granularity, flags, granule count, bits, CRC-32C). All integers are big-endian. The decoder trusts nothing:
 * every field is checked before it sizes an allocation, so a damaged file gives a clean
 * {@link CorruptBitmapStoreException}, never a wrong bitmap or an OutOfMemoryError.
 */
final class BitmapFileFormat {
    static final byte[] MAGIC = "NBDREFBM".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int HEADER_SIZE = 32;
    static final int FLAG_IN_USE = 0x1;
    static final int ENTRY_ENABLED = 0x1;
    /** Words moved per buffer when encoding or decoding bits. */
    private static final int CHUNK_WORDS = 8192;

    private BitmapFileFormat() {}

    static void write(OutputStream sink, StoreContents contents) throws IOException {
        CRC32C crc = new CRC32C();
        DataOutputStream out = new DataOutputStream(new CheckedOutputStream(sink, crc));
        out.write(MAGIC);
        out.writeInt(VERSION);
        out.writeInt(contents.inUse() ? FLAG_IN_USE : 0);
        out.writeLong(contents.imageSize());
        out.writeInt(contents.bitmaps().size());
        out.writeInt((int) crc.getValue());
        for (StoredBitmap b : contents.bitmaps()) {
            crc.reset();
            byte[] name = b.name().getBytes(StandardCharsets.UTF_8);
            out.writeShort(name.length);
            out.write(name);
            out.writeInt((int) b.granularity());
            out.writeInt(b.enabled() ? ENTRY_ENABLED : 0);
            out.writeLong(InMemoryBitmap.granulesFor(contents.imageSize(), b.granularity()));
            writeWords(out, b.words());
            out.writeInt((int) crc.getValue());
        }
        out.flush();
    }

    /**
     * Decodes a store file of {@code fileLength} bytes; {@code source} names it in error messages.
     *
     * @throws CorruptBitmapStoreException when anything about the file is wrong
     */
    static StoreContents read(InputStream source, long fileLength, String name) throws IOException {
        Reader r = new Reader(source, fileLength, name);
        try {
            return r.contents();
        } catch (EOFException e) {
            throw r.corrupt("the file ends early (truncated)");
        }
    }

    private static void writeWords(DataOutputStream out, long[] words) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK_WORDS * Long.BYTES);
        for (int i = 0; i < words.length; i += CHUNK_WORDS) {
            int n = Math.min(CHUNK_WORDS, words.length - i);
            chunk.clear();
            chunk.asLongBuffer().put(words, i, n);
            out.write(chunk.array(), 0, n * Long.BYTES);
        }
    }

    /** One decoding pass; counts bytes so no length field can claim more than the file holds. */
    private static final class Reader {
        private final CRC32C crc = new CRC32C();
        private final DataInputStream in;
        private final String name;
        private long remaining;

        Reader(InputStream source, long fileLength, String name) {
            this.in = new DataInputStream(new CheckedInputStream(source, crc));
            this.remaining = fileLength;
            this.name = name;
        }

        StoreContents contents() throws IOException {
            byte[] magic = bytes(MAGIC.length);
            if (!java.util.Arrays.equals(magic, MAGIC)) throw corrupt("not a bitmap store (wrong magic)");
            int version = in.readInt();
            int flags = in.readInt();
            long imageSize = in.readLong();
            int count = in.readInt();
            remaining -= 20;
            checkCrc("header");
            if (version != VERSION) {
                throw corrupt("format version " + Integer.toUnsignedString(version) + " is not supported (this nbdref"
                        + " reads version " + VERSION + ")");
            }
            if ((flags & ~FLAG_IN_USE) != 0) throw corrupt("unknown header flags 0x" + Integer.toHexString(flags));
            if (imageSize < 0) throw corrupt("negative image size " + imageSize);
            if (count < 0 || count > BitmapSet.MAX_BITMAPS) {
                throw corrupt("bitmap count " + Integer.toUnsignedString(count) + " (at most " + BitmapSet.MAX_BITMAPS
                        + ")");
            }
            List<StoredBitmap> bitmaps = new ArrayList<>(count);
            Set<String> names = new HashSet<>();
            for (int i = 0; i < count; i++) {
                StoredBitmap b = entry(i, imageSize);
                if (!names.add(b.name())) throw corrupt("bitmap " + b.name() + " appears twice");
                bitmaps.add(b);
            }
            if (remaining != 0 || in.read() >= 0) throw corrupt("unexpected bytes after the last bitmap");
            return new StoreContents((flags & FLAG_IN_USE) != 0, imageSize, bitmaps);
        }

        private StoredBitmap entry(int index, long imageSize) throws IOException {
            crc.reset();
            String what = "bitmap entry " + index;
            int nameLength = in.readUnsignedShort();
            remaining -= 2;
            if (nameLength == 0 || nameLength > BitmapName.MAX_BYTES) {
                throw corrupt(what + ": name length " + nameLength);
            }
            String bitmapName = name(bytes(nameLength), what);
            long granularity = Integer.toUnsignedLong(in.readInt());
            int flags = in.readInt();
            long granules = in.readLong();
            remaining -= 16;
            what = "bitmap " + bitmapName;
            if ((flags & ~ENTRY_ENABLED) != 0) throw corrupt(what + ": unknown flags 0x" + Integer.toHexString(flags));
            long expected;
            try {
                Granularity.check(granularity);
                expected = InMemoryBitmap.granulesFor(imageSize, granularity);
            } catch (BitmapException e) {
                throw corrupt(what + ": " + e.getMessage());
            }
            if (granules != expected) {
                throw corrupt(what + ": " + granules + " granules, but a " + imageSize + "-byte image at granularity "
                        + granularity + " has " + expected);
            }
            long[] words = words(InMemoryBitmap.wordsFor(granules), what);
            int used = (int) (granules & 63);
            if (used != 0 && (words[words.length - 1] & -(1L << used)) != 0) {
                throw corrupt(what + ": bits set past the last granule");
            }
            checkCrc(what);
            return new StoredBitmap(bitmapName, granularity, (flags & ENTRY_ENABLED) != 0, words);
        }

        private long[] words(int count, String what) throws IOException {
            if ((long) count * Long.BYTES > remaining) {
                throw corrupt(what + ": " + count + " words of bits, but only " + remaining + " bytes are left");
            }
            long[] words = new long[count];
            byte[] chunk = new byte[Math.min(count, CHUNK_WORDS) * Long.BYTES];
            for (int i = 0; i < count; i += CHUNK_WORDS) {
                int n = Math.min(CHUNK_WORDS, count - i);
                in.readFully(chunk, 0, n * Long.BYTES);
                ByteBuffer.wrap(chunk, 0, n * Long.BYTES).asLongBuffer().get(words, i, n);
            }
            remaining -= (long) count * Long.BYTES;
            return words;
        }

        private String name(byte[] utf8, String what) throws CorruptBitmapStoreException {
            try {
                CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(utf8));
                return BitmapName.check(chars.toString());
            } catch (CharacterCodingException e) {
                throw corrupt(what + ": the name is not valid UTF-8");
            } catch (BitmapException e) {
                throw corrupt(what + ": " + e.getMessage());
            }
        }

        private byte[] bytes(int n) throws IOException {
            if (n > remaining) throw new EOFException();
            byte[] b = new byte[n];
            in.readFully(b);
            remaining -= n;
            return b;
        }

        /** Reads the stored CRC (not itself checksummed) and compares it with the bytes read since the reset. */
        private void checkCrc(String what) throws IOException {
            int computed = (int) crc.getValue();
            int stored = in.readInt();
            remaining -= 4;
            if (stored != computed) {
                throw corrupt(what + ": checksum mismatch (stored 0x" + Integer.toHexString(stored) + ", computed 0x"
                        + Integer.toHexString(computed) + ")");
            }
        }

        CorruptBitmapStoreException corrupt(String why) {
            return new CorruptBitmapStoreException(name + ": " + why);
        }
    }
}
