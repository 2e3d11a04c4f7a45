package dev.nbdref.cli;

import dev.nbdref.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@code --max-connections} and the config file's "maxConnections" reach the server's settings; the default is 256. */
class ServerOptionsMaxConnectionsTest {
    @TempDir
    Path dir;

    private static ServerConfig serve(String... args) throws Exception {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs(args);
        return serve.options.buildConfig();
    }

    @Test
    void theDefaultIs256() throws Exception {
        assertEquals(256, serve("--export", "d=memory:1M").maxConnections());
        assertEquals(ServerConfig.DEFAULT_MAX_CONNECTIONS, serve("--export", "d=memory:1M").maxConnections());
    }

    @Test
    void theFlagSetsItAndItMustBeAtLeastOne() throws Exception {
        assertEquals(2, serve("--export", "d=memory:1M", "--max-connections", "2").maxConnections());
        assertEquals(1, serve("--export", "d=memory:1M", "--max-connections", "1").maxConnections());
        assertThrows(IllegalArgumentException.class, () -> serve("--export", "d=memory:1M", "--max-connections", "0"));
    }

    @Test
    void theConfigFileSetsItAndTheFlagWins() throws Exception {
        Path f = dir.resolve("c.json");
        Files.writeString(f, "{\"maxConnections\": 7, \"exports\": [{\"name\": \"d\", \"spec\": \"memory:1M\"}]}");
        assertEquals(7, serve("--config", f.toString()).maxConnections());
        assertEquals(3, serve("--config", f.toString(), "--max-connections", "3").maxConnections());
        Files.writeString(f, "{\"maxConnections\": 0}");
        assertThrows(IOException.class, () -> serve("--config", f.toString()));
    }
}
