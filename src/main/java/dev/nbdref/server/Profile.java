package dev.nbdref.server;

import dev.nbdref.tls.TlsMode;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Named server behaviours a client under test is run against (check-client --profile). Each one is a
 * behaviour the spec allows a server to have; a robust client copes with all of them.
 */
public enum Profile {
    STRICT("advertise everything, enforce everything (default)", c -> c),
    MINIMAL("no structured replies, no metadata contexts, no extended headers, no NO_ZEROES: tests the fallbacks",
            c -> c.withBehavior(new ServerBehavior(false, false, false, false, CommandExecutor.READ_CHUNK, false,
                    ServerBehavior.Fault.NONE))),
    BLOCK_SIZE("minimum block 4096, preferred 64 KiB, maximum payload 1 MiB, always advertised",
            c -> c.withSizes(new SizeConstraints(4096, 64 * 1024, 1 << 20))),
    TLS_REQUIRED("FORCEDTLS: every option but STARTTLS and ABORT is refused until TLS is up (needs credentials)",
            c -> c.withTls(TlsMode.REQUIRE, c.tls())),
    SHUFFLE("replies complete out of order; reads arrive in 4 KiB chunks in scrambled order",
            c -> c.withBehavior(new ServerBehavior(true, true, true, true, 4096, true, ServerBehavior.Fault.NONE))),
    FAULT_CLOSE_GREETING("the server closes right after its greeting",
            c -> c.withBehavior(c.behavior().withFault(new ServerBehavior.Fault(ServerBehavior.Fault.Kind.CLOSE_AFTER_GREETING, 0)))),
    FAULT_CLOSE_OPTIONS("the server closes on the client's second option, without a reply",
            c -> c.withBehavior(c.behavior().withFault(new ServerBehavior.Fault(ServerBehavior.Fault.Kind.CLOSE_IN_OPTIONS, 1)))),
    FAULT_CLOSE_TRANSMISSION("the server closes on the client's fourth request, without a reply",
            c -> c.withBehavior(c.behavior().withFault(new ServerBehavior.Fault(ServerBehavior.Fault.Kind.CLOSE_IN_TRANSMISSION, 3)))),
    FAULT_SHUTDOWN("from the fourth request on every request gets ESHUTDOWN; the client must then send DISC",
            c -> c.withBehavior(c.behavior().withFault(new ServerBehavior.Fault(ServerBehavior.Fault.Kind.SHUTDOWN_IN_TRANSMISSION, 3)))),
    FAULT_READ_ERROR("structured reads longer than one chunk fail midway with an ERROR_OFFSET chunk (EIO)",
            c -> c.withBehavior(new ServerBehavior(true, true, true, true, 64 * 1024, false,
                    new ServerBehavior.Fault(ServerBehavior.Fault.Kind.READ_ERROR_CHUNK, 0))));

    public final String description;
    private final UnaryOperator<ServerConfig> apply;

    Profile(String description, UnaryOperator<ServerConfig> apply) {
        this.description = description;
        this.apply = apply;
    }

    /** The profile's name as users type it: strict, minimal, block-size, fault-close-options, ... */
    public String cliName() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

    public ServerConfig applyTo(ServerConfig config) { return apply.apply(config); }

    public static Profile parse(String name) {
        return Arrays.stream(values()).filter(p -> p.cliName().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown profile \"" + name + "\"; known: "
                        + String.join(", ", Arrays.stream(values()).map(Profile::cliName).toList())));
    }
}
