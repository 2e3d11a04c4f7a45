package dev.nbdref.cli;

import dev.nbdref.conformance.ClientReport;
import dev.nbdref.conformance.ClientReportCoverage;
import dev.nbdref.conformance.ClientReportFacts;
import dev.nbdref.conformance.ClientReportHtml;
import dev.nbdref.conformance.ClientReportJson;
import dev.nbdref.conformance.ClientReportJunit;
import dev.nbdref.conformance.ClientReportSummary;
import dev.nbdref.conformance.ConnectionReport;
import dev.nbdref.server.NbdServer;
import dev.nbdref.server.Profile;
import dev.nbdref.server.ServerBehavior;
import dev.nbdref.server.ServerConfig;
import dev.nbdref.spec.RequirementCatalog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code nbdref check-client}: runs an NBD client against a strict nbdref on an ephemeral loopback port and
 * reports every protocol rule it broke. Exit status 0 when it broke no MUST rule, 1 when it did, 2 when the
 * run itself failed (the client could not start, timed out or never connected; the server could not start).
 */
@Command(name = "check-client", mixinStandardHelpOptions = true,
        modelTransformer = CheckClientHelp.class,
        description = {"Run an NBD client against nbdref and report every protocol rule it breaks:",
                "the spec rule, where it happened and the offending bytes. The server listens",
                "on a free loopback port and serves default=memory:64M unless --export or",
                "--config says otherwise. In CMD's arguments {uri}, {host}, {port}, {export}",
                "(the first export) and {tls-dir} are replaced; the client also gets them as",
                "NBDREF_URI, NBDREF_HOST, NBDREF_PORT, NBDREF_EXPORT, NBDREF_TLS_DIR.",
                "Exit status: 0 no MUST violation (SHOULD-level ones are only reported),",
                "1 some, 2 the run failed (client not found, timeout, no connection, or the",
                "server did not start).",
                "Example: nbdref check-client --junit junit.xml -- qemu-img info {uri}"})
final class CheckClientCommand implements Callable<Integer> {

    @Mixin
    ServerOptions options = new ServerOptions();

    @Option(names = "--profile", paramLabel = "NAME", defaultValue = "strict",
            description = "How the server behaves toward the client (see Profiles below; default: ${DEFAULT-VALUE}).")
    String profile;

    @Option(names = "--html", paramLabel = "FILE", description = "Write a self-contained HTML report.")
    Path html;

    @Option(names = "--junit", paramLabel = "FILE",
            description = "Write JUnit XML: one test case per client rule the run checked.")
    Path junit;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
            description = "Kill the client after this long and fail the run (exit 2). Default: ${DEFAULT-VALUE}.")
    long timeoutSeconds;

    @Option(names = "--settle", paramLabel = "MS", defaultValue = "500",
            description = "After the client exits, wait until no connection has ended for this long (default:"
                    + " ${DEFAULT-VALUE}) before stopping the server.")
    long settleMillis;

    @Option(names = "--verbose", description = "Show the server's log (connections, negotiation, violations) on stderr.")
    boolean verbose;

    @Parameters(paramLabel = "CMD", arity = "1..*",
            description = "The client command and its arguments, after --.")
    List<String> command;

    @Override
    public Integer call() throws Exception {
        // The server's log would repeat each violation; the summary says it better. Set before any server class loads.
        System.setProperty("org.slf4j.simpleLogger.log.dev.nbdref", verbose ? "info" : "error");
        if (timeoutSeconds < 1) throw new IllegalArgumentException("--timeout must be at least 1 second");
        if (settleMillis < 0) throw new IllegalArgumentException("--settle must not be negative");
        Profile chosen = Profile.parse(profile);
        if (options.listen == null) options.listen = "127.0.0.1:0";
        if (options.exports.isEmpty() && (options.config == null || ConfigFile.load(options.config).exports().isEmpty())) {
            options.exports.add("default=memory:64M");
        }
        try (CheckClientTls tls = CheckClientTls.prepare(options, chosen)) {
            ServerConfig built = options.buildConfig();
            Path reportPath = built.report(); // --report is the client report here, not the server's violation log
            ServerConfig config = chosen.applyTo(built.withReport(null));
            ClientReport report = run(chosen, config, tls);
            System.out.print(ClientReportSummary.render(report));
            System.out.flush();
            writeReports(report, reportPath);
            return report.exitStatus();
        }
    }

    private ClientReport run(Profile chosen, ServerConfig config, CheckClientTls tls) throws InterruptedException {
        Instant started = Instant.now();
        CheckClientCollector collector = new CheckClientCollector();
        NbdServer server;
        try {
            server = NbdServer.start(config, collector);
        } catch (IOException e) {
            return report(chosen, config, List.of(), command, started, null,
                    "the server failed to start: " + e.getMessage(), collector);
        }
        List<String> argv;
        CheckClientProcess.Outcome outcome;
        List<URI> uris = server.uris();
        try {
            CheckClientTemplate template = new CheckClientTemplate(uris.get(0).toString(), config.host(), server.port(),
                    config.exports().get(0).name(), tls.dir() == null ? null : tls.dir().toString());
            argv = template.apply(command);
            outcome = CheckClientProcess.run(argv, template.environment(), Duration.ofSeconds(timeoutSeconds));
            collector.awaitQuiet(System.nanoTime(), Duration.ofMillis(settleMillis));
        } finally {
            server.shutdown();
        }
        // Connections still open were closed by the shutdown; their reports follow within moments.
        collector.awaitQuiet(System.nanoTime(), Duration.ofMillis(100));
        String failure = outcome.failure();
        if (failure == null && collector.reports().isEmpty()) {
            failure = "the client never connected to nbdref (does its command use {uri}, or {host} and {port}?)";
        }
        return report(chosen, config, uris, argv, started, outcome, failure, collector);
    }

    /** @param outcome null when the client never ran */
    private ClientReport report(Profile chosen, ServerConfig config, List<URI> uris, List<String> argv, Instant started,
                                CheckClientProcess.Outcome outcome, String failure, CheckClientCollector collector) {
        List<ConnectionReport> connections = collector.reports();
        ServerBehavior.Fault fault = config.behavior().fault();
        Integer shutdownAfter = fault.is(ServerBehavior.Fault.Kind.SHUTDOWN_IN_TRANSMISSION) ? fault.after() : null;
        RequirementCatalog catalog = RequirementCatalog.standard();
        List<ClientReportCoverage.RuleStatus> coverage = ClientReportCoverage.of(catalog, connections,
                ClientReportFacts.of(connections, shutdownAfter));
        ClientReport.ClientProcess client = outcome == null ? ClientReport.ClientProcess.NOT_STARTED
                : new ClientReport.ClientProcess(outcome.exitStatus(), outcome.timedOut(), outcome.elapsed());
        return new ClientReport(version(), chosen.cliName(), chosen.description,
                uris.stream().map(URI::toString).toList(), argv, started, Instant.now(), client, failure, connections,
                coverage);
    }

    private void writeReports(ClientReport report, Path json) {
        if (json != null) ClientReportJson.write(report, json);
        if (html != null) ClientReportHtml.write(report, html);
        if (junit != null) ClientReportJunit.write(report, junit);
    }

    private static String version() {
        String v = CheckClientCommand.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
