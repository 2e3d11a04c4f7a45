package dev.nbdref.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A TLS-PSK keys file in the format qemu, nbdkit and libnbd share (GnuTLS psktool's): one {@code identity:hexkey}
 * per line. The identity ends at the first colon, as GnuTLS reads it. Blank lines are skipped; anything else that
 * is not a valid entry is an error naming the line, because a silently skipped key shows up much later as an
 * unexplained "unknown PSK identity".
 */
public final class PskKeys {

    private final Map<String, byte[]> keys;

    private PskKeys(Map<String, byte[]> keys) {
        this.keys = keys;
    }

    public static PskKeys load(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException("TLS-PSK keys file " + file + " does not exist");
        } catch (IOException e) {
            throw new IOException("cannot read TLS-PSK keys file " + file + ": " + e, e);
        }
        return parse(lines, file.toString());
    }

    /** @param source names the file in error messages */
    static PskKeys parse(List<String> lines, String source) throws IOException {
        Map<String, byte[]> keys = new LinkedHashMap<>();
        Map<String, Integer> firstLine = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            int lineNo = i + 1;
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            int colon = line.indexOf(':');
            if (colon < 0) throw bad(source, lineNo, "expected identity:hexkey, found no ':'");
            String identity = line.substring(0, colon);
            String hex = line.substring(colon + 1);
            if (identity.isEmpty()) throw bad(source, lineNo, "the identity before ':' is empty");
            if (hex.isEmpty()) throw bad(source, lineNo, "the key after ':' is empty");
            if (hex.length() % 2 != 0) throw bad(source, lineNo, "the key has an odd number of hex digits");
            byte[] key = decodeHex(hex);
            if (key == null) throw bad(source, lineNo, "the key is not hexadecimal");
            Integer earlier = firstLine.putIfAbsent(identity, lineNo);
            if (earlier != null) {
                throw bad(source, lineNo, "identity \"" + identity + "\" is already defined on line " + earlier);
            }
            keys.put(identity, key);
        }
        if (keys.isEmpty()) throw new IOException("TLS-PSK keys file " + source + " contains no keys");
        return new PskKeys(Collections.unmodifiableMap(keys));
    }

    /**
     * A fresh copy of the key on every call: BouncyCastle wipes the array it is given once it has used it, and
     * the next handshake for the same identity must still find the key.
     */
    public byte[] keyFor(String identity) {
        byte[] key = keys.get(identity);
        return key == null ? null : key.clone();
    }

    public Set<String> identities() {
        return keys.keySet();
    }

    private static IOException bad(String source, int line, String why) {
        return new IOException("TLS-PSK keys file " + source + " line " + line + ": " + why);
    }

    private static byte[] decodeHex(String hex) {
        byte[] out = new byte[hex.length() / 2];
        for (int i = 0; i < out.length; i++) {
            int hi = hexValue(hex.charAt(2 * i));
            int lo = hexValue(hex.charAt(2 * i + 1));
            if (hi < 0 || lo < 0) return null;
            out[i] = (byte) (hi << 4 | lo);
        }
        return out;
    }

    /** ASCII only: Character.digit would also accept other scripts' digits, which GnuTLS does not. */
    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
}
