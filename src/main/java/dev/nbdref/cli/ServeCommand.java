package dev.nbdref.cli;

import dev.nbdref.conformance.ViolationReportWriter;
import dev.nbdref.server.Export;
import dev.nbdref.server.NbdServer;
import dev.nbdref.server.ServerConfig;
import dev.nbdref.server.SizeConstraints;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve exports over NBD until interrupted (Ctrl-C or SIGTERM shut down cleanly).",
                "With no options: a writable, sparse 1 GiB in-memory export named \"default\" on 127.0.0.1:10809.",
                "Prints one nbd:// URI per export on stdout; logs go to stderr."})
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "Address to listen on (default 127.0.0.1:10809; port 0 picks a free one).")
    String listen;

    @Option(names = "--export", paramLabel = "NAME=SPEC[,ro][,description=TEXT]",
            description = {"An export (repeatable). SPEC is memory:SIZE (sparse, e.g. memory:1G) or file:PATH",
                    "(a raw file that exists). Default: default=memory:1G."})
    List<String> exports = new ArrayList<>();

    @Option(names = "--config", paramLabel = "FILE",
            description = "JSON settings, checked against spec/schemas/config.schema.json; flags override it.")
    Path config;

    @Option(names = "--min-block", paramLabel = "N",
            description = "Minimum block size to advertise and enforce (power of two, 1-65536; default 1).")
    Integer minBlock;

    @Option(names = "--report", paramLabel = "FILE",
            description = "Write the client violations seen so far as JSON each time a connection ends.")
    Path report;

    @Override
    public Integer call() throws Exception {
        ServerConfig cfg = buildConfig();
        ViolationReportWriter writer = cfg.report() == null ? null : new ViolationReportWriter(cfg.report());
        NbdServer server = NbdServer.start(cfg, r -> { if (writer != null) writer.add(r); });
        for (URI uri : server.uris()) System.out.println(uri);
        System.out.flush();
        awaitSignal();
        server.shutdown();
        return 0;
    }

    private ServerConfig buildConfig() throws IOException {
        ConfigFile file = config == null ? null : ConfigFile.load(config);
        Listen at = Listen.parse(listen != null ? listen
                : file != null && file.listen() != null ? file.listen()
                : ServerConfig.DEFAULT_HOST + ":" + ServerConfig.DEFAULT_PORT);
        List<ExportSpec> specs = new ArrayList<>();
        if (file != null) specs.addAll(file.exports());
        for (String e : exports) specs.add(ExportSpec.parse(e));
        if (specs.isEmpty()) specs.add(ExportSpec.parse("default=memory:1G"));
        List<Export> opened = new ArrayList<>();
        for (ExportSpec s : specs) opened.add(DeviceFactory.open(s));
        Integer min = minBlock != null ? minBlock : file != null ? file.minBlock() : null;
        Path reportPath = report != null ? report : file != null ? file.report() : null;
        return ServerConfig.of(at.host(), at.port(), opened)
                .withSizes(min == null ? SizeConstraints.defaults() : SizeConstraints.withMinimum(min))
                .withReport(reportPath);
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
