package dev.nbdref.wire;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The payload form of BLOCK_STATUS with extended headers (NBD_CMD_FLAG_PAYLOAD_LEN): a 64-bit effect
 * length followed by the 32-bit ids of the contexts the client wants, at least one.
 */
public record BlockStatusPayload(long effectLength, List<Integer> contextIds) {

    public BlockStatusPayload {
        contextIds = List.copyOf(contextIds);
    }

    public static BlockStatusPayload decode(ByteBuffer payload) throws WireFormatException {
        ByteBuffer b = payload.duplicate();
        int size = b.remaining();
        if (size < 12 || (size - 8) % 4 != 0) {
            throw new WireFormatException("C46", "a BLOCK_STATUS payload is 8 + 4n bytes with n >= 1, not " + size);
        }
        long effect = b.getLong();
        List<Integer> ids = new ArrayList<>((size - 8) / 4);
        while (b.hasRemaining()) ids.add(b.getInt());
        return new BlockStatusPayload(effect, ids);
    }

    public byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(8 + 4 * contextIds.size()).putLong(effectLength);
        contextIds.forEach(b::putInt);
        return b.array();
    }
}
