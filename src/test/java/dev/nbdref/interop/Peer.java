package dev.nbdref.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assumptions;

/**
 * Locates the real NBD peer programs (qemu-img, nbdinfo, nbd-client, ...) and the environment they run in.
 * A missing peer fails the test with a pointer to the install script: an interop suite that silently skips
 * proves nothing. {@code -Dnbdref.allowMissingPeers=true} turns that failure into a skip for machines that
 * knowingly lack the peers.
 */
public final class Peer {

    /**
     * System directories come first: Debian's peers must find Debian's python3 (nbdsh runs
     * {@code python3 -mnbd}), not a python3 from pyenv or a virtualenv that lacks the libnbd bindings.
     * The /sbin directories hold nbd-client.
     */
    static final String SYSTEM_PATH = "/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin:/usr/local/bin";

    /** The interpreter that has python3-libnbd's {@code nbd} module. */
    static final String PYTHON = "/usr/bin/python3";

    private static final Map<String, Path> FOUND = new ConcurrentHashMap<>();

    private Peer() {
    }

    /** The absolute path of {@code program}, or a test failure (or skip, when allowed) if it is not installed. */
    public static Path require(String program) {
        Path found = FOUND.computeIfAbsent(program, Peer::search);
        if (found == null) {
            missing("peer program '" + program + "' not found on " + searchPath());
        }
        return found;
    }

    /** Fails (or skips, when allowed) unless {@link #PYTHON} can import python3-libnbd's module. */
    public static void requirePythonLibnbd() {
        Path python = require(PYTHON);
        PeerResult probe = new PeerCommand(python.toString(), "-c", "import nbd").run();
        if (!probe.succeeded()) {
            missing("python3-libnbd is not importable by " + PYTHON + "\n" + probe.describe());
        }
    }

    /** The environment every peer runs with: a predictable PATH and the C locale for parseable messages. */
    static Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", searchPath());
        env.put("LC_ALL", "C");
        env.put("LANG", "C");
        return env;
    }

    private static String searchPath() {
        String inherited = System.getenv("PATH");
        return inherited == null || inherited.isEmpty() ? SYSTEM_PATH : SYSTEM_PATH + ":" + inherited;
    }

    private static Path search(String program) {
        if (program.contains("/")) {
            Path direct = Path.of(program);
            return Files.isExecutable(direct) ? direct : null;
        }
        for (String dir : searchPath().split(":")) {
            if (!dir.isEmpty()) {
                Path candidate = Path.of(dir, program);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate;
                }
            }
        }
        return null;
    }

    private static void missing(String what) {
        String message = what + ". Install the NBD peers with scripts/install-test-deps.sh (as root),"
                + " or pass -Dnbdref.allowMissingPeers=true to skip interop tests whose peers are missing.";
        if (Boolean.getBoolean("nbdref.allowMissingPeers")) {
            Assumptions.abort(message);
        }
        fail(message);
    }
}
