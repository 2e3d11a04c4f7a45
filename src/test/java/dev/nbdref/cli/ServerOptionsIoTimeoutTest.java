package dev.nbdref.cli;

import dev.nbdref.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@code --io-timeout} and the config file's "ioTimeout" reach the server's settings; the default is 60 s. */
class ServerOptionsIoTimeoutTest {
    @TempDir
    Path dir;

    private static ServerConfig serve(String... args) throws Exception {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs(args);
        return serve.options.buildConfig();
    }

    @Test
    void theDefaultIsTheNegotiationDeadlinesSixtySeconds() throws Exception {
        assertEquals(Duration.ofSeconds(60), serve("--export", "d=memory:1M").ioTimeout());
        assertEquals(ServerConfig.DEFAULT_IO_TIMEOUT, serve("--export", "d=memory:1M").ioTimeout());
    }

    @Test
    void theFlagSetsItAndZeroMeansNone() throws Exception {
        assertEquals(Duration.ofSeconds(5), serve("--export", "d=memory:1M", "--io-timeout", "5").ioTimeout());
        assertEquals(Duration.ZERO, serve("--export", "d=memory:1M", "--io-timeout", "0").ioTimeout());
        assertThrows(IllegalArgumentException.class, () -> serve("--export", "d=memory:1M", "--io-timeout", "-1"));
    }

    @Test
    void theConfigFileSetsItAndTheFlagWins() throws Exception {
        Path f = dir.resolve("c.json");
        Files.writeString(f, "{\"ioTimeout\": 7, \"exports\": [{\"name\": \"d\", \"spec\": \"memory:1M\"}]}");
        assertEquals(Duration.ofSeconds(7), serve("--config", f.toString()).ioTimeout());
        assertEquals(Duration.ofSeconds(3), serve("--config", f.toString(), "--io-timeout", "3").ioTimeout());
        Files.writeString(f, "{\"ioTimeout\": -1}");
        assertThrows(java.io.IOException.class, () -> serve("--config", f.toString()));
    }
}
