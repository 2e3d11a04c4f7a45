package dev.nbdref.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The placeholders of a {@code check-client} command line: {@code {uri}}, {@code {host}}, {@code {port}},
 * {@code {export}} and {@code {tls-dir}}, replaced wherever they occur inside an argument (so
 * {@code nbd://{host}:{port}/x} works). Anything else in braces is left alone: qemu's {@code json:{...}}
 * arguments must pass through untouched. The same values are also given to the client as environment variables
 * (NBDREF_URI, ...), for commands run through a shell script.
 */
final class CheckClientTemplate {
    private final Map<String, String> values = new LinkedHashMap<>();

    /**
     * @param uri    the URI of the first export (nbds:// when it needs TLS)
     * @param tlsDir the TLS credentials directory, or null when the server has no TLS (then {tls-dir} is empty)
     */
    CheckClientTemplate(String uri, String host, int port, String export, String tlsDir) {
        values.put("uri", uri);
        values.put("host", host);
        values.put("port", String.valueOf(port));
        values.put("export", export);
        values.put("tls-dir", tlsDir == null ? "" : tlsDir);
    }

    List<String> apply(List<String> args) {
        List<String> out = new ArrayList<>(args.size());
        for (String arg : args) out.add(apply(arg));
        return out;
    }

    /** Replaces in one pass, so a substituted value that happens to contain "{port}" is not replaced again. */
    String apply(String arg) {
        StringBuilder b = new StringBuilder(arg.length() + 32);
        int i = 0;
        while (i < arg.length()) {
            String match = null;
            if (arg.charAt(i) == '{') {
                for (String key : values.keySet()) {
                    if (arg.startsWith("{" + key + "}", i)) {
                        match = key;
                        break;
                    }
                }
            }
            if (match != null) {
                b.append(values.get(match));
                i += match.length() + 2;
            } else {
                b.append(arg.charAt(i++));
            }
        }
        return b.toString();
    }

    /** NBDREF_URI, NBDREF_HOST, NBDREF_PORT, NBDREF_EXPORT, NBDREF_TLS_DIR. */
    Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        values.forEach((k, v) -> env.put("NBDREF_" + k.toUpperCase(java.util.Locale.ROOT).replace('-', '_'), v));
        return env;
    }
}
