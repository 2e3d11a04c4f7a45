package dev.nbdref.server;

import dev.nbdref.block.LayeredDevice;
import dev.nbdref.spec.MetaContext;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Resolves metadata context queries against what an export offers (spec "Metadata querying"): every export
 * offers base:allocation; layered devices add qemu:allocation-depth; each dirty bitmap adds
 * qemu:dirty-bitmap:NAME. In LIST, a known namespace or the qemu:dirty-bitmap: prefix ending in a colon is a
 * wildcard (S37, and qemu's documented behaviour); in SET, only whole names select.
 */
final class MetaContextSelection {
    private MetaContextSelection() {}

    /** A context chosen by SET_META_CONTEXT, with the id block status chunks will carry. */
    record Selected(int id, String name) {}

    /** A query that names no namespace (C13). */
    static final class BadQueryException extends Exception {
        BadQueryException(String query) {
            super("query \"" + dev.nbdref.wire.WireStrings.abbreviate(query, 80)
                    + "\" does not start with a namespace and a colon");
        }
    }

    static List<String> available(Export export) {
        List<String> names = new ArrayList<>();
        names.add(MetaContext.BASE_ALLOCATION);
        if (export.device() instanceof LayeredDevice) names.add(MetaContext.QEMU_ALLOCATION_DEPTH);
        for (String b : export.bitmaps().names()) names.add(MetaContext.QEMU_DIRTY_BITMAP_PREFIX + b);
        return names;
    }

    /** LIST: every context matching a query; no queries lists everything; "base:" is a wildcard (S37). */
    static List<String> list(Export export, List<String> queries) throws BadQueryException {
        if (queries.isEmpty()) return available(export);
        Set<String> out = new LinkedHashSet<>();
        for (String q : queries) {
            namespaceOf(q);
            for (String name : available(export)) {
                if (name.equals(q) || (q.endsWith(":") && name.startsWith(q))) out.add(name);
            }
        }
        return new ArrayList<>(out);
    }

    /** SET: only exact names select; a bare "base:" and unknown names are ignored (S34, S37). */
    static List<Selected> select(Export export, List<String> queries) throws BadQueryException {
        Set<String> names = new LinkedHashSet<>();
        for (String q : queries) {
            namespaceOf(q);
            if (available(export).contains(q)) names.add(q);
        }
        List<Selected> out = new ArrayList<>();
        for (String name : names) out.add(new Selected(out.size(), name)); // S36: ids unique per selection
        return out;
    }

    private static String namespaceOf(String query) throws BadQueryException {
        int colon = query.indexOf(':');
        if (colon <= 0) throw new BadQueryException(query);
        return query.substring(0, colon);
    }
}
