package dev.nbdref.bitmap;

import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * A bitmap asked for on the command line, {@code EXPORT:NAME[:GRANULARITY]} (as in {@code serve --bitmap}).
 * The export name ends at the first colon; a last colon-separated part that looks like a size ({@code 65536},
 * {@code 64K}, {@code 1MiB}) is the granularity, anything else belongs to the bitmap name.
 *
 * @param granularity empty: the default for a new bitmap, or whatever an existing one has
 */
public record BitmapSpec(String export, String name, OptionalLong granularity) {
    private static final Pattern SIZE = Pattern.compile("[0-9]+(?:[KkMm](?:[Ii]?[Bb])?|[Bb])?");

    public BitmapSpec {
        BitmapName.check(name);
        if (granularity.isPresent()) Granularity.check(granularity.getAsLong());
    }

    /** @throws BitmapException (INVALID) for text that is not {@code EXPORT:NAME[:GRANULARITY]} */
    public static BitmapSpec parse(String text) {
        int colon = text.indexOf(':');
        if (colon < 0 || colon == text.length() - 1) {
            throw new BitmapException(BitmapException.Kind.INVALID,
                    "--bitmap wants EXPORT:NAME[:GRANULARITY] (e.g. disk:b0:64K), not \"" + text + "\"");
        }
        String export = text.substring(0, colon);
        String rest = text.substring(colon + 1);
        int last = rest.lastIndexOf(':');
        if (last > 0 && SIZE.matcher(rest.substring(last + 1)).matches()) {
            return new BitmapSpec(export, rest.substring(0, last),
                    OptionalLong.of(Granularity.parse(rest.substring(last + 1))));
        }
        return new BitmapSpec(export, rest, OptionalLong.empty());
    }
}
