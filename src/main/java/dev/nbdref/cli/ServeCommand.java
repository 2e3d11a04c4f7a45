package dev.nbdref.cli;

import dev.nbdref.bitmap.BitmapSet;
import dev.nbdref.bitmap.ManagementServer;
import dev.nbdref.conformance.ClientReport;
import dev.nbdref.conformance.ClientReportCoverage;
import dev.nbdref.conformance.ClientReportFacts;
import dev.nbdref.conformance.ClientReportSummary;
import dev.nbdref.conformance.ConnectionReport;
import dev.nbdref.conformance.ViolationReportWriter;
import dev.nbdref.server.Profile;
import dev.nbdref.spec.RequirementCatalog;
import dev.nbdref.server.Export;
import dev.nbdref.server.NbdServer;
import dev.nbdref.server.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve exports over NBD until interrupted (Ctrl-C or SIGTERM shut down cleanly).",
                "With no options: a writable, sparse 1 GiB in-memory export named \"default\" on 127.0.0.1:10809.",
                "Prints one nbd:// URI per export on stdout; logs go to stderr."})
final class ServeCommand implements Callable<Integer> {

    @Mixin
    ServerOptions options = new ServerOptions();

    @Option(names = "--validate", description = {"Act as the client validator for clients connected by hand: print a",
            "check-client summary of each connection when it ends (stdout, after the URIs)."})
    boolean validate;

    @Option(names = "--profile", paramLabel = "NAME",
            description = "Serve with a validator profile (as check-client --profile): strict, minimal, block-size, ...")
    String profile;

    @Override
    public Integer call() throws Exception {
        Profile chosen = profile == null ? Profile.STRICT : Profile.parse(profile);
        ServerConfig cfg = chosen.applyTo(options.buildConfig());
        ViolationReportWriter writer = cfg.report() == null ? null : new ViolationReportWriter(cfg.report());
        List<String> uris = new java.util.ArrayList<>();
        NbdServer server = NbdServer.start(cfg, r -> {
            if (writer != null) writer.add(r);
            if (validate) printSummary(chosen, uris, r);
        });
        server.uris().forEach(u -> uris.add(u.toString()));
        ManagementServer manage = startManagement(options.manageSocket(), cfg);
        for (URI uri : server.uris()) System.out.println(uri);
        System.out.flush();
        awaitSignal();
        if (manage != null) manage.close(); // first, so no bitmap changes while the stores are saved
        server.shutdown();
        return 0;
    }

    /** One connection judged as check-client would judge a whole run. */
    private static synchronized void printSummary(Profile profile, List<String> uris, ConnectionReport c) {
        List<ConnectionReport> one = List.of(c);
        ClientReport report = new ClientReport(Version.text(), profile.cliName(), profile.description, uris,
                List.of("client connected by hand from " + c.peer()), c.started(), c.ended(),
                ClientReport.ClientProcess.NOT_STARTED, null, one,
                ClientReportCoverage.of(RequirementCatalog.standard(), one, ClientReportFacts.of(one, null)));
        System.out.println(ClientReportSummary.renderConnection(report));
        System.out.flush();
    }

    private static ManagementServer startManagement(Path socket, ServerConfig cfg) throws IOException {
        if (socket == null) return null;
        Map<String, BitmapSet> byExport = new LinkedHashMap<>();
        for (Export e : cfg.exports()) {
            if (e.bitmaps() instanceof BitmapSet set) byExport.put(e.name(), set);
        }
        ManagementServer m = new ManagementServer(socket, byExport);
        m.start();
        return m;
    }

    /** Blocks until SIGINT or SIGTERM; handling them (not a shutdown hook) lets the server drain and exit 0. */
    @SuppressWarnings("restriction")
    private static void awaitSignal() throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        for (String name : List.of("INT", "TERM")) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), s -> stop.countDown());
        }
        stop.await();
    }
}
