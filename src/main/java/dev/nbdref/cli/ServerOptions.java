package dev.nbdref.cli;

import dev.nbdref.bitmap.BitmapSpec;
import dev.nbdref.server.Export;
import dev.nbdref.server.ServerConfig;
import dev.nbdref.server.SizeConstraints;
import dev.nbdref.tls.TlsMode;
import dev.nbdref.tls.TlsSettings;
import dev.nbdref.tls.TlsUpgrader;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The server settings shared by {@code serve} and {@code check-client} (a picocli mixin): listen address,
 * exports, config file, block size, I/O timeout, connection limit, TLS. Turns them into a checked {@link ServerConfig}.
 */
final class ServerOptions {

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "Address to listen on (default 127.0.0.1:10809; port 0 picks a free one).")
    String listen;

    @Option(names = "--export", paramLabel = "NAME=SPEC[,ro|,rw][,tls-only][,description=TEXT]",
            description = {"An export (repeatable). SPEC is memory:SIZE (sparse, e.g. memory:1G), file:PATH",
                    "(a raw file that exists) or bochs:PATH (a Bochs image; read-only unless ,rw).",
                    "Default: default=memory:1G."})
    List<String> exports = new ArrayList<>();

    @Option(names = "--config", paramLabel = "FILE",
            description = "JSON settings, checked against spec/schemas/config.schema.json; flags override it.")
    Path config;

    @Option(names = "--min-block", paramLabel = "N",
            description = "Minimum block size to advertise and enforce (power of two, 1-65536; default 1).")
    Integer minBlock;

    @Option(names = "--tls-mode", paramLabel = "off|on|require",
            description = {"off: no TLS (STARTTLS refused). on: TLS offered, exports marked tls-only need it.",
                    "require: every option but STARTTLS and ABORT is refused until TLS is up.",
                    "Default: require when --tls-x509 or --tls-psk is given, else off."})
    String tlsMode;

    @Option(names = "--tls-x509", paramLabel = "DIR",
            description = "X.509 credentials: DIR/ca-cert.pem, server-cert.pem, server-key.pem (qemu/nbdkit layout).")
    Path tlsX509;

    @Option(names = "--tls-psk", paramLabel = "FILE", description = "TLS-PSK keys file: identity:hexkey lines.")
    Path tlsPsk;

    @Option(names = "--tls-verify-peer", description = "Require a client certificate signed by DIR/ca-cert.pem.")
    Boolean tlsVerifyPeer;

    @Option(names = "--tls-authz", paramLabel = "DN",
            description = "Allow only clients whose certificate subject is DN (RFC 2253; repeatable).")
    List<String> tlsAuthz = new ArrayList<>();

    @Option(names = "--bitmap", paramLabel = "EXPORT:NAME[:GRANULARITY]",
            description = {"A dirty bitmap on a writable export, served as qemu:dirty-bitmap:NAME (repeatable).",
                    "Granularity: a power of two from 512 to 64M (default 64K). File exports keep bitmaps beside",
                    "the image (IMAGE.nbdref-bitmaps) across restarts; after a crash they come back all dirty."})
    List<String> bitmaps = new ArrayList<>();

    @Option(names = "--manage", paramLabel = "SOCKET",
            description = "Unix socket for managing bitmaps while serving (JSON lines; see spec/management.md).")
    Path manage;

    @Option(names = "--io-timeout", paramLabel = "SECONDS",
            description = {"Transmission phase: a request must arrive whole within SECONDS of its first byte, and a",
                    "reply write may wait that long for the client to read; past either the connection is cut off.",
                    "Idle time between requests is never limited. 0: no limit. Default: 60."})
    Integer ioTimeout;

    @Option(names = "--max-connections", paramLabel = "N",
            description = {"Connections open at once (at least 1). Further clients are not accepted until one ends:",
                    "they wait in the listen backlog for their greeting. Default: 256."})
    Integer maxConnections;

    @Option(names = "--report", paramLabel = "FILE",
            description = "Write the client violations seen so far as JSON each time a connection ends.")
    Path report;

    private ConfigFile loaded;

    /** The --config file, read and checked once; null without --config. */
    private ConfigFile configFile() throws IOException {
        if (loaded == null && config != null) loaded = ConfigFile.load(config);
        return loaded;
    }

    /** The management socket path (flag, else config file), or null. */
    Path manageSocket() throws IOException {
        if (manage != null) return manage;
        ConfigFile file = configFile();
        return file == null ? null : file.manage();
    }

    ServerConfig buildConfig() throws IOException {
        ConfigFile file = configFile();
        Listen at = Listen.parse(listen != null ? listen
                : file != null && file.listen() != null ? file.listen()
                : ServerConfig.DEFAULT_HOST + ":" + ServerConfig.DEFAULT_PORT);
        List<ExportSpec> specs = new ArrayList<>();
        if (file != null) specs.addAll(file.exports());
        for (String e : exports) specs.add(ExportSpec.parse(e));
        if (specs.isEmpty()) specs.add(ExportSpec.parse("default=memory:1G"));
        List<Export> opened = new ArrayList<>();
        List<BitmapSpec> bitmapSpecs = new ArrayList<>();
        if (file != null) for (String b : file.bitmaps()) bitmapSpecs.add(BitmapSpec.parse(b));
        for (String b : bitmaps) bitmapSpecs.add(BitmapSpec.parse(b));
        for (BitmapSpec b : bitmapSpecs) {
            if (specs.stream().noneMatch(s -> s.name().equals(b.export()))) {
                throw new IllegalArgumentException("--bitmap " + b.export() + ":" + b.name() + " names no export");
            }
        }
        for (ExportSpec s : specs) {
            opened.add(DeviceFactory.open(s, bitmapSpecs.stream().filter(b -> b.export().equals(s.name())).toList()));
        }
        Integer min = minBlock != null ? minBlock : file != null ? file.minBlock() : null;
        Path reportPath = report != null ? report : file != null ? file.report() : null;
        Integer timeout = ioTimeout != null ? ioTimeout : file != null ? file.ioTimeout() : null;
        if (timeout != null && timeout < 0) throw new IllegalArgumentException("--io-timeout cannot be negative");
        Integer limit = maxConnections != null ? maxConnections : file != null ? file.maxConnections() : null;
        if (limit != null && limit < 1) throw new IllegalArgumentException("--max-connections must be at least 1");
        ServerConfig cfg = ServerConfig.of(at.host(), at.port(), opened)
                .withSizes(min == null ? SizeConstraints.defaults() : SizeConstraints.withMinimum(min))
                .withReport(reportPath)
                .withIoTimeout(timeout == null ? ServerConfig.DEFAULT_IO_TIMEOUT : Duration.ofSeconds(timeout))
                .withMaxConnections(limit == null ? ServerConfig.DEFAULT_MAX_CONNECTIONS : limit);
        return withTls(cfg, file == null ? ConfigFile.Tls.NONE : file.tls());
    }

    /** Flags override the config file's "tls" section field by field. */
    private ServerConfig withTls(ServerConfig cfg, ConfigFile.Tls file) throws IOException {
        Path x509 = tlsX509 != null ? tlsX509 : file.x509();
        Path psk = tlsPsk != null ? tlsPsk : file.psk();
        boolean verify = tlsVerifyPeer != null ? tlsVerifyPeer : Boolean.TRUE.equals(file.verifyPeer());
        List<String> authz = !tlsAuthz.isEmpty() ? tlsAuthz : file.authz();
        String modeText = tlsMode != null ? tlsMode : file.mode();
        TlsMode mode = modeText != null ? parseMode(modeText) : (x509 != null || psk != null ? TlsMode.REQUIRE : TlsMode.OFF);
        if (mode == TlsMode.OFF) {
            if (x509 != null || psk != null) throw new IllegalArgumentException("--tls-mode off with TLS credentials given");
            return cfg;
        }
        if (x509 == null && psk == null) {
            throw new IllegalArgumentException("--tls-mode " + modeText + " needs --tls-x509 DIR or --tls-psk FILE");
        }
        if ((verify || !authz.isEmpty()) && x509 == null) {
            throw new IllegalArgumentException("--tls-verify-peer and --tls-authz need --tls-x509 (a CA to verify against)");
        }
        TlsUpgrader upgrader = new TlsSettings(x509, psk, verify || !authz.isEmpty(), authz).createUpgrader();
        return cfg.withTls(mode, upgrader);
    }

    private static TlsMode parseMode(String text) {
        switch (text) {
            case "off": return TlsMode.OFF;
            case "on": return TlsMode.ON;
            case "require": return TlsMode.REQUIRE;
            default: throw new IllegalArgumentException("--tls-mode must be off, on or require, not \"" + text + "\"");
        }
    }

}
