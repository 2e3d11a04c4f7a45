package dev.nbdref.wire;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The payload of NBD_OPT_INFO and NBD_OPT_GO: u32 name length, name, u16 count, count × u16 info types.
 * The option length is authoritative: every field must fit inside it exactly (S11, C07).
 */
public record InfoRequest(String exportName, List<Integer> infoTypes) {

    public InfoRequest {
        infoTypes = List.copyOf(infoTypes);
    }

    public static InfoRequest decode(byte[] payload) throws WireFormatException {
        ByteBuffer b = ByteBuffer.wrap(payload);
        if (b.remaining() < 6) {
            throw new WireFormatException("C07", "INFO/GO payload of " + payload.length + " bytes is shorter than 6");
        }
        long nameLength = Integer.toUnsignedLong(b.getInt());
        if (nameLength > payload.length - 6) {
            throw new WireFormatException("C07", "name length " + nameLength + " exceeds option length - 6 ("
                    + (payload.length - 6) + ")");
        }
        byte[] name = new byte[(int) nameLength];
        b.get(name);
        int count = Short.toUnsignedInt(b.getShort());
        if (b.remaining() != 2L * count) {
            throw new WireFormatException("C07", count + " info requests need " + 2 * count + " bytes, but "
                    + b.remaining() + " remain in the option");
        }
        List<Integer> types = new ArrayList<>(count);
        for (int i = 0; i < count; i++) types.add(Short.toUnsignedInt(b.getShort()));
        return new InfoRequest(WireStrings.decode(name, "export name"), types);
    }

    public byte[] encode() {
        byte[] name = WireStrings.encode(exportName);
        ByteBuffer b = ByteBuffer.allocate(4 + name.length + 2 + 2 * infoTypes.size());
        b.putInt(name.length).put(name).putShort((short) infoTypes.size());
        infoTypes.forEach(t -> b.putShort((short) (int) t));
        return b.array();
    }

    /** The first info type listed twice (C08), or -1. Linear: a list may hold 65535 entries. */
    public int firstDuplicate() {
        java.util.BitSet seen = new java.util.BitSet(1 << 16);
        for (int t : infoTypes) {
            if (seen.get(t)) return t;
            seen.set(t);
        }
        return -1;
    }
}
