package dev.nbdref.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.List;

/**
 * What one run of a peer program produced. Assertion helpers put the full command line and both output
 * streams (and the server's log, when given) into the failure message, because a bare "exit 1" says
 * nothing about whether the peer or the server is at fault.
 */
public record PeerResult(List<String> command, int exitCode, String stdout, String stderr, boolean timedOut,
                         Duration elapsed) {

    public boolean succeeded() {
        return !timedOut && exitCode == 0;
    }

    /** Both streams, for checks on messages that peers print to either one. */
    public String output() {
        return stdout + stderr;
    }

    public String describe() {
        return "$ " + shellQuoted(command) + "\n"
                + (timedOut ? "TIMED OUT after " + elapsed.toSeconds() + " s\n" : "exit code " + exitCode + "\n")
                + "--- stdout ---\n" + stdout + (stdout.endsWith("\n") || stdout.isEmpty() ? "" : "\n")
                + "--- stderr ---\n" + stderr;
    }

    /** The command line as one would paste it into a shell. */
    static String shellQuoted(List<String> command) {
        StringBuilder line = new StringBuilder();
        for (String arg : command) {
            line.append(line.length() == 0 ? "" : " ");
            line.append(arg.matches("[A-Za-z0-9_@%+=:,./-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'");
        }
        return line.toString();
    }

    public PeerResult assertSuccess() {
        if (!succeeded()) {
            fail("peer command failed\n" + describe());
        }
        return this;
    }

    /** Like {@link #assertSuccess()}, and appends the tail of the server's log to the failure message. */
    public PeerResult assertSuccess(NbdrefProcess server) {
        if (!succeeded()) {
            fail("peer command failed\n" + describe() + "\n" + server.logReport());
        }
        return this;
    }
}
