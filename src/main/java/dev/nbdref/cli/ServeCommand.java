package dev.nbdref.cli;

import dev.nbdref.bitmap.BitmapSet;
import dev.nbdref.bitmap.ManagementServer;
import dev.nbdref.conformance.ViolationReportWriter;
import dev.nbdref.server.Export;
import dev.nbdref.server.NbdServer;
import dev.nbdref.server.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

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

    @Override
    public Integer call() throws Exception {
        ServerConfig cfg = options.buildConfig();
        ViolationReportWriter writer = cfg.report() == null ? null : new ViolationReportWriter(cfg.report());
        NbdServer server = NbdServer.start(cfg, r -> { if (writer != null) writer.add(r); });
        ManagementServer manage = startManagement(options.manageSocket(), cfg);
        for (URI uri : server.uris()) System.out.println(uri);
        System.out.flush();
        awaitSignal();
        if (manage != null) manage.close(); // first, so no bitmap changes while the stores are saved
        server.shutdown();
        return 0;
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
