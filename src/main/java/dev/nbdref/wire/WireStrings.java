package dev.nbdref.wire;

import dev.nbdref.spec.Limits;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** The spec's string rules: UTF-8, no NUL, at most 4096 bytes (C09). */
public final class WireStrings {
    private WireStrings() {}

    /** Decodes a protocol string, rejecting invalid UTF-8, NUL bytes and over-long strings. */
    public static String decode(byte[] bytes, String what) throws WireFormatException {
        if (bytes.length > Limits.MAX_STRING) {
            throw new WireFormatException("C09", what + " is " + bytes.length + " bytes, over the 4096-byte limit");
        }
        for (byte b : bytes) {
            if (b == 0) throw new WireFormatException("C09", what + " contains a NUL byte");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new WireFormatException("C09", what + " is not valid UTF-8");
        }
    }

    public static byte[] encode(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    /** UTF-8 of {@code s}, cut to at most {@code maxBytes} without splitting a character. */
    public static byte[] encodeTruncated(String s, int maxBytes) {
        byte[] b = encode(s);
        if (b.length <= maxBytes) return b;
        int n = maxBytes;
        while (n > 0 && (b[n] & 0xC0) == 0x80) n--; // b[n] is the first byte left out: back off to a boundary
        return java.util.Arrays.copyOf(b, n);
    }

    /** {@code s} for quoting in a message: at most {@code maxChars} code points, with an ellipsis when cut. */
    public static String abbreviate(String s, int maxChars) {
        if (s.codePointCount(0, s.length()) <= maxChars) return s;
        return s.substring(0, s.offsetByCodePoints(0, maxChars)) + "…";
    }
}
