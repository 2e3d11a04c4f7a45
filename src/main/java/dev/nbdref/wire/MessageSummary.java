package dev.nbdref.wire;

import dev.nbdref.spec.InfoType;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** One-line, human-readable decodings of negotiation messages, for transcripts. Never throws. */
public final class MessageSummary {
    private MessageSummary() {}

    public static String option(int option, byte[] payload) {
        String name = OptionType.nameOf(option);
        OptionType t = OptionType.of(option);
        try {
            if (t == OptionType.INFO || t == OptionType.GO) {
                InfoRequest r = InfoRequest.decode(payload);
                List<String> infos = new ArrayList<>();
                for (int i : r.infoTypes()) infos.add(InfoType.of(i) != null ? InfoType.of(i).name() : String.valueOf(i));
                return name + " name=" + quote(r.exportName()) + " info=" + infos;
            }
            if (t == OptionType.LIST_META_CONTEXT || t == OptionType.SET_META_CONTEXT) {
                MetaContextRequest r = MetaContextRequest.decode(payload);
                return name + " name=" + quote(r.exportName()) + " queries=" + r.queries();
            }
            if (t == OptionType.EXPORT_NAME) return name + " name=" + quote(WireStrings.decode(payload, "name"));
        } catch (WireFormatException e) {
            return name + " (malformed: " + e.getMessage() + ")";
        }
        return payload.length == 0 ? name : name + " with " + payload.length + " bytes of data";
    }

    public static String reply(OptionReply r) {
        OptionReplyType t = r.replyType();
        String name = t != null ? "NBD_REP_" + t.name() : "reply type " + Integer.toUnsignedString(r.type());
        ByteBuffer p = ByteBuffer.wrap(r.payload());
        if (t == null) return name;
        if (t.isError()) return r.payload().length == 0 ? name : name + " \"" + text(r.payload(), 0) + "\"";
        switch (t) {
            case SERVER: return name + " " + quote(serverName(r.payload()));
            case META_CONTEXT:
                return p.remaining() < 4 ? name : name + " id=" + p.getInt() + " " + quote(text(r.payload(), 4));
            case INFO: return name + " " + info(p);
            default: return name;
        }
    }

    /** The name of an NBD_REP_SERVER payload: its u32 length is in bytes and may not fit the payload. */
    private static String serverName(byte[] payload) {
        if (payload.length < 4) return "";
        long length = Integer.toUnsignedLong(ByteBuffer.wrap(payload).getInt());
        int n = (int) Math.min(length, payload.length - 4);
        return new String(payload, 4, n, StandardCharsets.UTF_8);
    }

    private static String info(ByteBuffer p) {
        if (p.remaining() < 2) return "(empty)";
        int type = Short.toUnsignedInt(p.getShort());
        InfoType t = InfoType.of(type);
        if (t == InfoType.EXPORT && p.remaining() >= 10) {
            return "EXPORT size=" + p.getLong() + " flags=0x" + Integer.toHexString(Short.toUnsignedInt(p.getShort()));
        }
        if (t == InfoType.BLOCK_SIZE && p.remaining() >= 12) {
            return "BLOCK_SIZE min=" + p.getInt() + " preferred=" + p.getInt() + " max=" + Integer.toUnsignedString(p.getInt());
        }
        byte[] rest = new byte[p.remaining()];
        p.get(rest);
        return (t != null ? t.name() : "info " + type) + " " + quote(new String(rest, StandardCharsets.UTF_8));
    }

    private static String text(byte[] b, int from) {
        return from >= b.length ? "" : new String(b, from, b.length - from, StandardCharsets.UTF_8);
    }

    private static String quote(String s) { return "\"" + WireStrings.abbreviate(s, 80) + "\""; }
}
