package dev.nbdref.fuzz;

import dev.nbdref.bochs.BochsCreator;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.MetaContext;
import dev.nbdref.spec.OptionType;
import dev.nbdref.wire.BlockStatusPayload;
import dev.nbdref.wire.InfoRequest;
import dev.nbdref.wire.MetaContextRequest;
import dev.nbdref.wire.OptionHeader;
import dev.nbdref.wire.Request;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the hand-made seed inputs of the fuzz targets (realistic sessions and images the fuzzer mutates from)
 * into the Jazzer inputs directories: {@code java ... dev.nbdref.fuzz.SeedCorpus src/test/resources}. Seeds are
 * named {@code seed-*}; findings the fuzzer saves ({@code crash-*}, {@code timeout-*}) and inputs kept as
 * regressions live beside them and are never overwritten.
 */
public final class SeedCorpus {
    private SeedCorpus() {}

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : "src/test/resources").resolve("dev/nbdref/fuzz");
        write(root.resolve("ServerFuzzTestInputs/clientStream"), clientStreams());
        write(root.resolve("ServerFuzzTestInputs/transmission"), transmissions());
        write(root.resolve("WireFuzzTestInputs/decoders"), wire());
        write(root.resolve("BochsFuzzTestInputs/image"), bochs());
    }

    private static void write(Path dir, Map<String, byte[]> seeds) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> e : seeds.entrySet()) Files.write(dir.resolve("seed-" + e.getKey()), e.getValue());
    }

    // ---------------------------------------------------------------- building blocks

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) b.writeBytes(p);
        return b.toByteArray();
    }

    static byte[] flags(int f) { return ByteBuffer.allocate(4).putInt(f).array(); }

    static byte[] opt(OptionType t, byte[] payload) { return OptionHeader.encode(t.value, payload); }

    static byte[] go(String name, Integer... infos) { return opt(OptionType.GO, new InfoRequest(name, List.of(infos)).encode()); }

    static byte[] meta(OptionType t, String name, String... queries) {
        return opt(t, new MetaContextRequest(name, List.of(queries)).encode());
    }

    static byte[] compact(int flags, CommandType t, long offset, long length) {
        return new Request(flags, t.value, 0x1000 + t.value, offset, length).encodeCompact();
    }

    static byte[] extended(int flags, CommandType t, long offset, long length) {
        return new Request(flags, t.value, 0x2000 + t.value, offset, length).encodeExtended();
    }

    static byte[] data(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 7 + 1);
        return b;
    }

    /** A workload of every command, compact headers. */
    static byte[] compactRequests() {
        int fua = CommandFlag.FUA.bit;
        return cat(compact(0, CommandType.WRITE, 4096, 512), data(512),
                compact(fua, CommandType.WRITE, 65536 - 100, 200), data(200),
                compact(0, CommandType.READ, 4000, 1024),
                compact(CommandFlag.DF.bit, CommandType.READ, 0, 8192),
                compact(0, CommandType.BLOCK_STATUS, 0, 1 << 20),
                compact(CommandFlag.REQ_ONE.bit, CommandType.BLOCK_STATUS, 4096, 4096),
                compact(0, CommandType.TRIM, 4096, 4096),
                compact(CommandFlag.NO_HOLE.bit, CommandType.WRITE_ZEROES, 0, 65536),
                compact(CommandFlag.FAST_ZERO.bit, CommandType.WRITE_ZEROES, 131072, 65536),
                compact(0, CommandType.CACHE, 0, 4096),
                compact(0, CommandType.FLUSH, 0, 0),
                compact(0, CommandType.READ, 0, 0),
                compact(0, CommandType.DISC, 0, 0));
    }

    /** The same workload with extended headers, plus the BLOCK_STATUS payload form. */
    static byte[] extendedRequests() {
        int pl = CommandFlag.PAYLOAD_LEN.bit;
        return cat(extended(pl, CommandType.WRITE, 4096, 512), data(512),
                extended(0, CommandType.READ, 4000, 1024),
                extended(0, CommandType.BLOCK_STATUS, 0, 1 << 20),
                extended(pl, CommandType.BLOCK_STATUS, 0, 12), new BlockStatusPayload(65536, List.of(0)).encode(),
                extended(0, CommandType.TRIM, 4096, 4096),
                extended(CommandFlag.NO_HOLE.bit, CommandType.WRITE_ZEROES, 0, 65536),
                extended(0, CommandType.FLUSH, 0, 0),
                extended(0, CommandType.DISC, 0, 0));
    }

    static byte[] withSelector(int selector, byte[] rest) { return cat(new byte[] {(byte) selector}, rest); }

    // ---------------------------------------------------------------- targets

    static Map<String, byte[]> clientStreams() {
        String base = MetaContext.BASE_ALLOCATION;
        String dirty = MetaContext.QEMU_DIRTY_BITMAP_PREFIX + FuzzServer.BITMAP;
        byte[] haggle = cat(flags(3), opt(OptionType.LIST, new byte[0]),
                opt(OptionType.INFO, new InfoRequest("disk", List.of(1, 2, 3)).encode()),
                opt(OptionType.STRUCTURED_REPLY, new byte[0]),
                meta(OptionType.LIST_META_CONTEXT, "disk", "base:", "qemu:"),
                meta(OptionType.SET_META_CONTEXT, "disk", base, dirty));
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        seeds.put("structured-session", withSelector(0, cat(haggle, go("disk", 3), compactRequests())));
        seeds.put("extended-session", withSelector(0, cat(flags(3), opt(OptionType.EXTENDED_HEADERS, new byte[0]),
                meta(OptionType.SET_META_CONTEXT, "", base, dirty), go(""), extendedRequests())));
        seeds.put("simple-session-min-block", withSelector(1, cat(flags(1), go("disk"), compactRequests())));
        seeds.put("legacy-export-name", withSelector(0, cat(flags(0), opt(OptionType.EXPORT_NAME, "disk".getBytes()),
                compactRequests())));
        seeds.put("export-name-padding", withSelector(0, cat(flags(1), opt(OptionType.EXPORT_NAME, "ro".getBytes()),
                compact(0, CommandType.READ, 0, 4096), compact(0, CommandType.WRITE, 0, 1), data(1))));
        seeds.put("odd-options", withSelector(2, cat(flags(3), OptionHeader.encode(0x7654321, data(5)),
                opt(OptionType.STARTTLS, new byte[0]), opt(OptionType.PEEK_EXPORT, new byte[0]),
                opt(OptionType.INFO, new byte[] {0, 0, 0, 9, 'x'}), opt(OptionType.GO, new InfoRequest("nope", List.of()).encode()),
                meta(OptionType.SET_META_CONTEXT, "disk", base), opt(OptionType.STRUCTURED_REPLY, new byte[0]),
                opt(OptionType.STRUCTURED_REPLY, new byte[0]), opt(OptionType.ABORT, new byte[0]))));
        seeds.put("minimal-profile", withSelector(8, cat(flags(1), opt(OptionType.STRUCTURED_REPLY, new byte[0]),
                opt(OptionType.EXTENDED_HEADERS, new byte[0]), go("big"),
                compact(0, CommandType.READ, (1L << 44) - 4096, 4096))));
        seeds.put("oversized-option", withSelector(4, cat(flags(3), ByteBuffer.allocate(16)
                .putLong(0x49484156454F5054L).putInt(OptionType.INFO.value).putInt(2 << 20).array())));
        seeds.put("big-export", withSelector(5, cat(flags(3), opt(OptionType.EXTENDED_HEADERS, new byte[0]),
                meta(OptionType.SET_META_CONTEXT, "big", base), go("big", 3),
                extended(0, CommandType.BLOCK_STATUS, 1L << 40, 1L << 42),
                extended(0, CommandType.READ, (1L << 44) - 65536, 65536),
                extended(CommandFlag.PAYLOAD_LEN.bit, CommandType.WRITE, (1L << 44) - 4096, 4096), data(4096))));
        return seeds;
    }

    static Map<String, byte[]> transmissions() {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        seeds.put("structured-disk-contexts", cat(new byte[] {0, 0x31}, compactRequests()));
        seeds.put("simple-disk", cat(new byte[] {0, 0x00}, compactRequests()));
        seeds.put("extended-disk-contexts", cat(new byte[] {0, 0x32}, extendedRequests()));
        seeds.put("extended-big", cat(new byte[] {4, 0x1a}, extendedRequests()));
        seeds.put("ro-export-name", cat(new byte[] {2, 0x45}, compactRequests()));
        return seeds;
    }

    static Map<String, byte[]> wire() {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        seeds.put("info", new InfoRequest("disk", List.of(0, 1, 2, 3)).encode());
        seeds.put("meta", new MetaContextRequest("disk", List.of("base:allocation", "qemu:dirty-bitmap:b0")).encode());
        seeds.put("status-payload", new BlockStatusPayload(1 << 20, List.of(0, 1)).encode());
        seeds.put("request", new Request(1, 1, 7, 4096, 512).encodeCompact());
        seeds.put("extended-request", new Request(0x21, 1, 7, 4096, 512).encodeExtended());
        seeds.put("option", OptionHeader.encode(7, new InfoRequest("", List.of()).encode()));
        return seeds;
    }

    static Map<String, byte[]> bochs() throws IOException {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        Path dir = Files.createTempDirectory("nbdref-seeds");
        try {
            Path raw = dir.resolve("raw");
            byte[] content = new byte[64 * 1024];
            for (int i = 0; i < content.length; i += 3000) content[i] = (byte) (i | 1);
            Files.write(raw, content);
            Path image = dir.resolve("small.bochs");
            BochsCreator.create(image, 128 * 1024, raw);
            seeds.put("growing-128k", Files.readAllBytes(image));
            Path empty = dir.resolve("empty.bochs");
            BochsCreator.create(empty, 1032192);
            seeds.put("empty-1m", Files.readAllBytes(empty));
            Files.delete(raw);
            Files.delete(image);
            Files.delete(empty);
        } finally {
            Files.deleteIfExists(dir);
        }
        return seeds;
    }
}
