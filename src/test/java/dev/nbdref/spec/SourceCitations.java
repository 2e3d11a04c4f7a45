package dev.nbdref.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds requirement IDs cited in Java source text. A tiny lexer splits the text into code,
 * comments and string literals, so an ID is only counted where a human put it on purpose:
 * in main code inside comments or string literals, in test code inside {@code @Verifies(...)}.
 */
final class SourceCitations {
    private SourceCitations() {}

    static final Pattern ID = Pattern.compile("\\b[SC][0-9]{2}\\b");
    // Matched against code with comments blanked and string contents masked, so no ')' hides inside.
    private static final Pattern VERIFIES = Pattern.compile("@(?:[\\w$]+\\.)*Verifies\\s*\\(([^)]*)\\)");

    /** One ID found at a 1-based line of a file. */
    record Citation(String id, String file, int line) {
        @Override
        public String toString() {
            return id + " at " + file + ":" + line;
        }
    }

    enum Kind { CODE, COMMENT, STRING }

    /** A run of source text of one kind; for STRING the text includes the quotes. */
    record Segment(Kind kind, int start, int end) {}

    /** IDs that appear inside comments or string and char literals. */
    static List<Citation> inCommentsAndStrings(String file, String source) {
        List<Citation> out = new ArrayList<>();
        for (Segment s : segments(source)) {
            if (s.kind() != Kind.CODE) {
                collectIds(file, source, s.start(), s.end(), out);
            }
        }
        return out;
    }

    /** IDs listed as string literals inside {@code @Verifies(...)} annotations written in code. */
    static List<Citation> inVerifiesAnnotations(String file, String source) {
        List<Segment> segments = segments(source);
        Matcher m = VERIFIES.matcher(masked(source, segments));
        List<Citation> out = new ArrayList<>();
        while (m.find()) {
            for (Segment s : segments) {
                if (s.kind() == Kind.STRING && s.start() >= m.start(1) && s.end() <= m.end(1)) {
                    String literal = source.substring(s.start() + 1, s.end() - 1);
                    out.add(new Citation(literal, file, lineOf(source, s.start())));
                }
            }
        }
        return out;
    }

    private static void collectIds(String file, String source, int from, int to, List<Citation> out) {
        Matcher m = ID.matcher(source).region(from, to);
        while (m.find()) {
            out.add(new Citation(m.group(), file, lineOf(source, m.start())));
        }
    }

    /** Source with comments turned into spaces and string contents into 'x', positions unchanged. */
    static String masked(String source, List<Segment> segments) {
        char[] chars = source.toCharArray();
        for (Segment s : segments) {
            for (int i = s.start(); i < s.end(); i++) {
                boolean keep = chars[i] == '\n'
                        || (s.kind() == Kind.STRING && (i == s.start() || i == s.end() - 1));
                if (s.kind() != Kind.CODE && !keep) {
                    chars[i] = s.kind() == Kind.COMMENT ? ' ' : 'x';
                }
            }
        }
        return new String(chars);
    }

    /** Splits Java source into code, comment and literal segments (text blocks included). */
    static List<Segment> segments(String src) {
        List<Segment> out = new ArrayList<>();
        int codeStart = 0;
        int i = 0;
        while (i < src.length()) {
            int end = literalOrCommentEnd(src, i);
            if (end < 0) {
                i++;
                continue;
            }
            if (codeStart < i) {
                out.add(new Segment(Kind.CODE, codeStart, i));
            }
            Kind kind = src.charAt(i) == '/' ? Kind.COMMENT : Kind.STRING;
            out.add(new Segment(kind, i, end));
            i = end;
            codeStart = end;
        }
        if (codeStart < src.length()) {
            out.add(new Segment(Kind.CODE, codeStart, src.length()));
        }
        return out;
    }

    /** End (exclusive) of the comment or literal starting at i, or -1 if none starts there. */
    private static int literalOrCommentEnd(String s, int i) {
        if (s.startsWith("//", i)) {
            int nl = s.indexOf('\n', i);
            return nl < 0 ? s.length() : nl;
        }
        if (s.startsWith("/*", i)) {
            int close = s.indexOf("*/", i + 2);
            return close < 0 ? s.length() : close + 2;
        }
        if (s.startsWith("\"\"\"", i)) {
            return closingQuote(s, i + 3, "\"\"\"");
        }
        char c = s.charAt(i);
        if (c == '"' || c == '\'') {
            return closingQuote(s, i + 1, String.valueOf(c));
        }
        return -1;
    }

    private static int closingQuote(String s, int from, String quote) {
        int i = from;
        while (i < s.length()) {
            if (s.charAt(i) == '\\') {
                i += 2;
            } else if (s.startsWith(quote, i)) {
                return i + quote.length();
            } else {
                i++;
            }
        }
        return s.length();
    }

    private static int lineOf(String source, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (source.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }
}
