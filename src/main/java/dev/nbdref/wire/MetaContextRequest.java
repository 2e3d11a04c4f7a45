package dev.nbdref.wire;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The payload of NBD_OPT_LIST_META_CONTEXT and NBD_OPT_SET_META_CONTEXT: u32 name length, export name,
 * u32 query count, then each query as u32 length and string. Every length must stay inside the option (S11).
 */
public record MetaContextRequest(String exportName, List<String> queries) {

    public MetaContextRequest {
        queries = List.copyOf(queries);
    }

    public static MetaContextRequest decode(byte[] payload) throws WireFormatException {
        ByteBuffer b = ByteBuffer.wrap(payload);
        String name = WireStrings.decode(readSized(b, "export name"), "export name");
        if (b.remaining() < 4) throw new WireFormatException("C49", "meta context option ends before the query count");
        long count = Integer.toUnsignedLong(b.getInt());
        // Each query needs at least its 4-byte length, so a count the payload can't hold is rejected
        // before anything is allocated for it.
        if (count > b.remaining() / 4) {
            throw new WireFormatException("C49", count + " queries cannot fit in the " + b.remaining()
                    + " bytes left in the option");
        }
        List<String> queries = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            queries.add(WireStrings.decode(readSized(b, "query " + i), "query " + i));
        }
        if (b.hasRemaining()) {
            throw new WireFormatException("C49", b.remaining() + " bytes left over after the last query");
        }
        return new MetaContextRequest(name, queries);
    }

    private static byte[] readSized(ByteBuffer b, String what) throws WireFormatException {
        if (b.remaining() < 4) throw new WireFormatException("C49", "option ends before the length of " + what);
        long length = Integer.toUnsignedLong(b.getInt());
        if (length > b.remaining()) {
            throw new WireFormatException("C49", "length of " + what + " (" + length + ") runs past the option end");
        }
        byte[] bytes = new byte[(int) length];
        b.get(bytes);
        return bytes;
    }

    public byte[] encode() {
        byte[] name = WireStrings.encode(exportName);
        List<byte[]> qs = queries.stream().map(WireStrings::encode).toList();
        int size = 4 + name.length + 4 + qs.stream().mapToInt(q -> 4 + q.length).sum();
        ByteBuffer b = ByteBuffer.allocate(size).putInt(name.length).put(name).putInt(qs.size());
        qs.forEach(q -> b.putInt(q.length).put(q));
        return b.array();
    }
}
