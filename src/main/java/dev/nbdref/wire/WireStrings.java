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
}
