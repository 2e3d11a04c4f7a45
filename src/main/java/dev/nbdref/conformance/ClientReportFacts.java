package dev.nbdref.conformance;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a client did across all its connections, as far as coverage needs to know: which phases it reached,
 * which options it sent (and which the server acknowledged), which commands it sent. Read from the connection
 * reports the server produced, so it sees exactly what the server's checks saw.
 */
public final class ClientReportFacts {
    private static final String ACK = "NBD_REP_ACK";

    private boolean connected;
    private boolean sentFlags;
    private boolean transmission;
    private boolean goAskedBlockSize;
    private boolean shutdownAnnounced;
    private final Set<String> options = new HashSet<>();
    private final Set<String> acknowledged = new HashSet<>();
    private final Map<String, Long> commands = new TreeMap<>();

    /**
     * @param shutdownAfterRequests when the server answers every request after this many with ESHUTDOWN
     *                              (the fault-shutdown profile), that number; otherwise null
     */
    public static ClientReportFacts of(List<ConnectionReport> connections, Integer shutdownAfterRequests) {
        ClientReportFacts f = new ClientReportFacts();
        for (ConnectionReport c : connections) f.add(c, shutdownAfterRequests);
        return f;
    }

    private void add(ConnectionReport c, Integer shutdownAfter) {
        connected = true;
        String lastOption = null;
        for (TranscriptEntry e : c.transcript()) {
            String first = firstWord(e.summary());
            if (e.fromClient() && e.phase() == Phase.HANDSHAKE) sentFlags = true;
            if (e.fromClient() && e.phase() == Phase.OPTIONS) {
                lastOption = first;
                options.add(first);
                // The transcript shows the info requests as "info=[NAME, BLOCK_SIZE]"
                if (first.equals("NBD_OPT_GO") && e.summary().contains("BLOCK_SIZE")) goAskedBlockSize = true;
            }
            if (!e.fromClient() && first.equals(ACK) && lastOption != null) acknowledged.add(lastOption);
            if (!e.fromClient() && first.equals("NBD_REP_ERR_SHUTDOWN")) shutdownAnnounced = true;
        }
        c.commands().forEach((name, n) -> commands.merge(name, n, Long::sum));
        long requests = c.commands().values().stream().mapToLong(Long::longValue).sum();
        if (c.exportName() != null) transmission = true;
        if (shutdownAfter != null && requests > shutdownAfter) shutdownAnnounced = true;
    }

    private static String firstWord(String s) {
        int space = s.indexOf(' ');
        return space < 0 ? s : s.substring(0, space);
    }

    /** The client connected at least once. */
    public boolean connected() { return connected; }

    /** The client got past the greeting and sent its client flags. */
    public boolean sentFlags() { return sentFlags; }

    /** Some connection reached the transmission phase. */
    public boolean transmission() { return transmission; }

    /** An NBD_OPT_GO asked for NBD_INFO_BLOCK_SIZE, so the client committed to the block size constraints. */
    public boolean goAskedBlockSize() { return goAskedBlockSize; }

    /** The server answered ERR_SHUTDOWN or ESHUTDOWN to something. */
    public boolean shutdownAnnounced() { return shutdownAnnounced; }

    public boolean sentAnyOption() { return !options.isEmpty(); }

    /** The client sent one of these options (names as NBD_OPT_GO, or "option N" for unknown ones). */
    public boolean sent(String... optionNames) {
        for (String o : optionNames) if (options.contains(o)) return true;
        return false;
    }

    /** The server acknowledged this option (NBD_REP_ACK as its final reply) at least once. */
    public boolean acknowledged(String optionName) { return acknowledged.contains(optionName); }

    /** Any option other than these was sent. */
    public boolean sentOptionOtherThan(Set<String> excluded) {
        return options.stream().anyMatch(o -> !excluded.contains(o));
    }

    public boolean sentAnyCommand() { return !commands.isEmpty(); }

    /** The client sent one of these commands (names as NBD_CMD_READ). */
    public boolean sentCommand(String... commandNames) {
        for (String c : commandNames) if (commands.containsKey(c)) return true;
        return false;
    }

    /** Commands sent, by name, summed over connections. */
    public Map<String, Long> commands() { return Map.copyOf(commands); }

    /** The furthest phase a connection reached, for the report: HANDSHAKE, OPTIONS or TRANSMISSION. */
    public static Phase phaseReached(ConnectionReport c) {
        if (c.exportName() != null || !c.commands().isEmpty()) return Phase.TRANSMISSION;
        boolean options = c.transcript().stream().anyMatch(e -> e.phase() == Phase.OPTIONS)
                || c.violations().stream().anyMatch(v -> v.phase() == Phase.OPTIONS);
        return options ? Phase.OPTIONS : Phase.HANDSHAKE;
    }
}
