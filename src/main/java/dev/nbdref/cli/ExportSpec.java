package dev.nbdref.cli;

/**
 * One export as the user writes it: {@code NAME=KIND:ARG[,ro|,rw][,tls-only][,description=TEXT]}, where KIND is
 * {@code memory} (ARG a size), {@code file} (ARG a path) or {@code bochs} (ARG a Bochs image; read-only unless
 * {@code rw} is given). The description runs to the end of the text, so
 * it may contain commas.
 *
 * @param readOnly null when neither {@code ro} nor {@code rw} was given: the kind decides
 * @param tlsOnly  the export is offered only over TLS (SELECTIVETLS)
 */
record ExportSpec(String name, String kind, String argument, Boolean readOnly, boolean tlsOnly, String description) {

    static ExportSpec parse(String text) {
        int eq = text.indexOf('=');
        if (eq < 0) throw new IllegalArgumentException("export \"" + text + "\" needs NAME=SPEC, e.g. disk=memory:1G");
        String name = text.substring(0, eq);
        String rest = text.substring(eq + 1);
        String description = null;
        int d = rest.indexOf(",description=");
        if (d >= 0) {
            description = rest.substring(d + ",description=".length());
            rest = rest.substring(0, d);
        }
        String[] parts = rest.split(",", -1);
        Boolean readOnly = null;
        boolean tlsOnly = false;
        for (int i = 1; i < parts.length; i++) {
            switch (parts[i]) {
                case "ro" -> readOnly = true;
                case "rw" -> readOnly = false;
                case "tls-only" -> tlsOnly = true;
                default -> throw new IllegalArgumentException("unknown export option \"" + parts[i]
                        + "\" in \"" + text + "\" (known: ro, rw, tls-only, description=TEXT)");
            }
        }
        return of(name, parts[0], readOnly, tlsOnly, description);
    }

    /** Builds a spec from its parts, as the config file gives them. */
    static ExportSpec of(String name, String spec, Boolean readOnly, boolean tlsOnly, String description) {
        int colon = spec.indexOf(':');
        if (colon < 0) throw new IllegalArgumentException("export spec \"" + spec + "\" needs KIND:ARG (memory:SIZE, file:PATH or bochs:PATH)");
        String kind = spec.substring(0, colon);
        if (!kind.equals("memory") && !kind.equals("file") && !kind.equals("bochs")) {
            throw new IllegalArgumentException("unknown export kind \"" + kind + "\" (known: memory, file, bochs)");
        }
        return new ExportSpec(name, kind, spec.substring(colon + 1), readOnly, tlsOnly, description);
    }

    /** Whether the export is read-only, given what this kind of export is by default. */
    boolean readOnlyOr(boolean kindDefault) { return readOnly != null ? readOnly : kindDefault; }
}
