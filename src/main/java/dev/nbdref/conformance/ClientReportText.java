package dev.nbdref.conformance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Text helpers shared by the client report renderings. Details and transcripts quote what the client sent
 * (export names, queries), so any of them may hold control characters, markup or broken surrogates; these
 * helpers make such text safe for a terminal, HTML and XML, and say where bytes were where.
 */
public final class ClientReportText {
    private ClientReportText() {
    }

    /**
     * The text with every control character (C0, DEL, C1) written as \xNN and every unpaired surrogate as
     * U+FFFD, so it can neither move a terminal's cursor nor break an XML document. Newlines become \x0a too:
     * every value is meant to stay on its line.
     */
    public static String printable(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0xfffe || c == 0xffff) {
                b.append(c <= 0xff ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                b.append(c).append(s.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                b.append('\ufffd');
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** Printable text with the five markup characters escaped: safe in HTML and XML content and attributes. */
    public static String escape(String s) {
        return escapeMarkup(printable(s));
    }

    /**
     * Only the five markup characters escaped, line breaks and all else kept: for text shown as it is, such as a
     * log in an HTML {@code <pre>}.
     */
    public static String escapeMarkup(String p) {
        if (p == null) return "";
        StringBuilder b = new StringBuilder(p.length() + 16);
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            switch (c) {
                case '&': b.append("&amp;"); break;
                case '<': b.append("&lt;"); break;
                case '>': b.append("&gt;"); break;
                case '"': b.append("&quot;"); break;
                case '\'': b.append("&#39;"); break;
                default: b.append(c);
            }
        }
        return b.toString();
    }

    /** Hex in groups of four bytes ("25609513 00010002 ..."), easier to match against a header layout. */
    public static String groupedHex(String hex) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < hex.length(); i += 8) {
            if (i > 0) b.append(' ');
            b.append(hex, i, Math.min(hex.length(), i + 8));
        }
        return b.toString();
    }

    /** Where a violation happened, in words: "TRANSMISSION, request 3, byte 112". */
    public static String where(Violation v) {
        StringBuilder b = new StringBuilder(v.phase().name());
        if (v.sequence() > 0) {
            b.append(v.phase() == Phase.TRANSMISSION ? ", request " : ", option ").append(v.sequence());
        }
        return b.append(", byte ").append(v.byteOffset()).toString();
    }

    /** The command line as one would paste it into a shell. */
    public static String shellQuoted(Iterable<String> command) {
        StringBuilder line = new StringBuilder();
        for (String arg : command) {
            if (line.length() > 0) line.append(' ');
            line.append(arg.matches("[A-Za-z0-9_@%+=:,./{}-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'");
        }
        return line.toString();
    }

    private static void readableByAll(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its defaults apply
        }
    }

    /** Writes through a temporary file and a rename, so a CI job never picks up half a report. */
    public static void writeAtomically(Path path, String content) {
        try {
            Path parent = path.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path tmp = Files.createTempFile(parent, ".nbdref-report", ".tmp");
            try {
                Files.writeString(tmp, content);
                readableByAll(tmp); // a temporary file is private (0600); a report is for everyone to read
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }
}
