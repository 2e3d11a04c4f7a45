package dev.nbdref.bochs;

import java.util.List;

/**
 * A header that passed validation, and what lenient mode noticed and tolerated on the way (empty in
 * strict mode, which tolerates nothing).
 */
public record ParsedHeader(BochsHeader header, List<String> notes) {
    public ParsedHeader {
        notes = List.copyOf(notes);
    }
}
