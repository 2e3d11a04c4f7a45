package dev.nbdref.server;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The exports a server offers, in configuration order. The empty name (the spec's "default export")
 * selects the export named {@value #DEFAULT_NAME} if there is one, else the first.
 */
public final class ExportRegistry implements AutoCloseable {
    public static final String DEFAULT_NAME = "default";

    private final Map<String, Export> exports = new LinkedHashMap<>();

    public ExportRegistry(List<Export> exports) {
        if (exports.isEmpty()) throw new IllegalArgumentException("a server needs at least one export");
        for (Export e : exports) {
            if (this.exports.putIfAbsent(e.name(), e) != null) {
                throw new IllegalArgumentException("export name used twice: " + e.name());
            }
        }
    }

    public Optional<Export> find(String name) {
        if (name.isEmpty() && !exports.containsKey("")) {
            Export named = exports.get(DEFAULT_NAME);
            return Optional.of(named != null ? named : exports.values().iterator().next());
        }
        return Optional.ofNullable(exports.get(name));
    }

    public List<Export> all() { return List.copyOf(exports.values()); }

    /** Flushes and closes every device; the first failure is rethrown after all were tried. */
    @Override
    public void close() throws IOException {
        IOException first = null;
        for (Export e : exports.values()) {
            try {
                if (!e.readOnly()) e.device().flush();
                e.device().close();
            } catch (IOException ex) {
                if (first == null) first = ex; else first.addSuppressed(ex);
            }
        }
        if (first != null) throw first;
    }
}
