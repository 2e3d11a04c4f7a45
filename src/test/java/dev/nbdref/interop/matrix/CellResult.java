package dev.nbdref.interop.matrix;

import java.util.List;

/**
 * The outcome of one scenario on one peer image: a cell of the matrix. {@code details} (the peer's command and
 * output, the server's log) goes into the JUnit failure message; {@code log} is its short tail for the report.
 */
record CellResult(String peer, String scenario, Status status, List<String> reasons, String command, Integer exitStatus,
                  long durationMs, Violations violations, String details) {

    enum Status {
        PASS, FAIL, UNSUPPORTED;

        String json() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static Status ofJson(String text) {
            return valueOf(text.toUpperCase(java.util.Locale.ROOT));
        }
    }

    /** What nbdref's violation report said about the cell's connections. */
    record Violations(int connections, int must, int should, List<String> requirements) {
    }

    String key() {
        return key(peer, scenario);
    }

    static String key(String peer, String scenario) {
        return peer + "/" + scenario;
    }

    static CellResult unsupported(String peer, String scenario, List<String> reasons) {
        return new CellResult(peer, scenario, Status.UNSUPPORTED, reasons, null, null, 0, null, String.join("\n", reasons));
    }
}
