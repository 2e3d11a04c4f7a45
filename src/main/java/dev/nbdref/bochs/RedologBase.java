package dev.nbdref.bochs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Finds the base image of an Undoable or Volatile redolog by Bochs' own naming: an undoable redolog is
 * {@code BASE.redolog}, a volatile one {@code BASE.XXXXXX} (mkstemp's six characters).
 */
final class RedologBase {
    private static final String UNDOABLE_SUFFIX = ".redolog";
    private static final Pattern VOLATILE_SUFFIX = Pattern.compile("\\.[A-Za-z0-9]{6}$");

    private RedologBase() {}

    /** The base next to {@code redolog}, or a B05 error naming what was looked for. */
    static Path locate(Path redolog, Subtype subtype) throws BochsFormatException {
        String name = redolog.getFileName().toString();
        String baseName = null;
        if (name.endsWith(UNDOABLE_SUFFIX) && name.length() > UNDOABLE_SUFFIX.length()) {
            baseName = name.substring(0, name.length() - UNDOABLE_SUFFIX.length());
        } else if (subtype == Subtype.VOLATILE && VOLATILE_SUFFIX.matcher(name).find() && name.length() > 7) {
            baseName = name.substring(0, name.length() - 7);
        }
        Path base = baseName == null ? null : redolog.resolveSibling(baseName);
        if (base == null || !Files.isRegularFile(base)) {
            throw BochsRule.B05.error("a " + subtype.text() + " redolog records changes to a base image and"
                    + " cannot be read alone" + (base == null ? "; name it BASE.redolog or give the base"
                    : "; its base " + base + " does not exist (or give the base explicitly)"));
        }
        return base;
    }
}
