package dev.nbdref.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigFileTest {
    @TempDir
    Path dir;

    @Test
    void aFullConfigLoads() throws IOException {
        Path f = write("""
                {"listen": "[::1]:0", "minBlock": 512, "report": "r.json",
                 "exports": [{"name": "a", "spec": "memory:1M", "readOnly": true, "description": "A"},
                             {"name": "b", "spec": "file:/tmp/x"}]}""");
        ConfigFile c = ConfigFile.load(f);
        assertEquals("[::1]:0", c.listen());
        assertEquals(512, c.minBlock());
        assertEquals(Path.of("r.json"), c.report());
        assertEquals(List.of(new ExportSpec("a", "memory", "1M", true, false, "A"),
                new ExportSpec("b", "file", "/tmp/x", null, false, null)), c.exports());
    }

    @Test
    void unknownKeysAndBadValuesAreRejectedWithTheirLocation() throws IOException {
        IOException e = assertThrows(IOException.class, () -> ConfigFile.load(write("{\"lisen\": \"x:1\"}")));
        assertTrue(e.getMessage().contains("lisen"), e.getMessage());
        e = assertThrows(IOException.class, () -> ConfigFile.load(write("{\"minBlock\": 3}")));
        assertTrue(e.getMessage().contains("minBlock"), e.getMessage());
        assertThrows(IOException.class, () -> ConfigFile.load(write("{\"exports\": [{\"name\": \"a\"}]}")));
    }

    @Test
    void malformedJsonIsAnIoErrorNotACrash() throws IOException {
        IOException e = assertThrows(IOException.class, () -> ConfigFile.load(write("{\"listen\": ")));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    private Path write(String json) throws IOException {
        Path f = dir.resolve("c" + System.nanoTime() + ".json");
        Files.writeString(f, json);
        return f;
    }
}
