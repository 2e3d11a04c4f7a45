package dev.nbdref.tls;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PskKeysTest {

    @TempDir
    Path tmp;

    private static PskKeys parse(String... lines) throws IOException {
        return PskKeys.parse(List.of(lines), "keys.psk");
    }

    private static void assertError(String expected, String... lines) {
        IOException e = assertThrows(IOException.class, () -> parse(lines));
        assertTrue(e.getMessage().contains(expected), "expected \"" + expected + "\" in: " + e.getMessage());
        assertTrue(e.getMessage().contains("keys.psk"), "the file is named: " + e.getMessage());
    }

    @Test
    void readsIdentitiesAndKeysSkippingBlankLines() throws IOException {
        PskKeys keys = parse("", "alice:00ff10", "  ", "bob:ABCDEF0123456789", "");
        assertEquals(List.of("alice", "bob"), List.copyOf(keys.identities()));
        assertArrayEquals(new byte[]{0, (byte) 0xff, 0x10}, keys.keyFor("alice"));
        assertArrayEquals(new byte[]{(byte) 0xab, (byte) 0xcd, (byte) 0xef, 0x01, 0x23, 0x45, 0x67, (byte) 0x89},
                keys.keyFor("bob"));
        assertNull(keys.keyFor("carol"));
    }

    @Test
    void theIdentityEndsAtTheFirstColonAsInGnutls() throws IOException {
        PskKeys keys = parse("user name@host:0102");
        assertArrayEquals(new byte[]{1, 2}, keys.keyFor("user name@host"));
        assertError("line 1: the key is not hexadecimal", "a:b:0102");
    }

    @Test
    void everyCallReturnsAFreshCopy() throws IOException {
        PskKeys keys = parse("alice:0102");
        byte[] first = keys.keyFor("alice");
        first[0] = 0; // as BouncyCastle does after using a key
        assertArrayEquals(new byte[]{1, 2}, keys.keyFor("alice"));
    }

    @Test
    void malformedLinesAreReportedWithTheirNumber() {
        assertError("line 2: expected identity:hexkey", "alice:00", "no colon here");
        assertError("line 1: the identity before ':' is empty", ":0011");
        assertError("line 3: the key after ':' is empty", "", "a:01", "b:");
        assertError("line 1: the key has an odd number of hex digits", "alice:012");
        assertError("line 1: the key is not hexadecimal", "alice:0g");
        assertError("line 1: the key is not hexadecimal", "alice:\u0661\u0662"); // Arabic-Indic digits are not hex
        assertError("line 3: identity \"alice\" is already defined on line 1", "alice:00", "bob:11", "alice:22");
    }

    @Test
    void aFileWithoutKeysIsAnError() {
        assertError("contains no keys", "", "   ");
    }

    @Test
    void aMissingFileIsNamed() {
        Path missing = tmp.resolve("nope.psk");
        IOException e = assertThrows(IOException.class, () -> PskKeys.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void loadsFromAFile() throws IOException {
        Path file = tmp.resolve("keys.psk");
        Files.writeString(file, "qemu:0123456789abcdef\r\n");
        assertArrayEquals(new byte[]{1, 0x23, 0x45, 0x67, (byte) 0x89, (byte) 0xab, (byte) 0xcd, (byte) 0xef},
                PskKeys.load(file).keyFor("qemu"));
    }
}
