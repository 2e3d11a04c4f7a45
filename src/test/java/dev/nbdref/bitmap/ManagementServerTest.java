package dev.nbdref.bitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.spec.JsonSchemas;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** The management socket: every verb, every kind of bad request, and the socket's own lifecycle. */
class ManagementServerTest {
    private static final long SIZE = 4L << 20;
    private static final long K64 = 65536;

    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();
    private BitmapStore store;
    private BitmapSet memory;
    private ManagementServer server;
    private Path socket;

    @BeforeEach
    void start() throws IOException {
        Path image = dir.resolve("disk.raw");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(SIZE);
        }
        store = BitmapStore.openForServer(image, SIZE);
        store.bitmaps().add("b0", K64, true);
        memory = new BitmapSet(SIZE);
        socket = dir.resolve("m.sock");
        server = new ManagementServer(socket, Map.of("d", store.bitmaps(), "m", memory));
        server.start();
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        store.close();
    }

    @Test
    void aBackupCycleThroughTheSocket() throws IOException {
        try (ManagementClient c = ManagementClient.connect(socket)) {
            store.bitmaps().markWrite(0, 1);
            JsonNode list = call(c, "{\"id\":1,\"verb\":\"list\"}");
            assertEquals(1, list.get("id").asInt());
            assertEquals("d", list.at("/exports/0/export").asString());
            assertTrue(list.at("/exports/0/persistent").asBoolean());
            assertEquals(SIZE, list.at("/exports/0/size").asLong());
            assertEquals(K64, list.at("/exports/0/bitmaps/0/dirtyBytes").asLong());
            assertEquals("m", list.at("/exports/1/export").asString());
            assertFalse(list.at("/exports/1/persistent").asBoolean());

            JsonNode add = call(c, "{\"id\":\"two\",\"verb\":\"add\",\"export\":\"d\",\"bitmap\":\"b1\",\"granularity\":4096}");
            assertEquals("two", add.get("id").asString());
            assertEquals(json.readTree("{\"name\":\"b1\",\"granularity\":4096,\"enabled\":true,\"dirtyBytes\":0}"),
                    add.get("bitmap"));
            JsonNode disable = call(c, "{\"id\":3,\"verb\":\"disable\",\"export\":\"d\",\"bitmap\":\"b0\"}");
            assertFalse(disable.at("/bitmap/enabled").asBoolean());
            store.bitmaps().markWrite(K64, 1);
            JsonNode only = call(c, "{\"id\":4,\"verb\":\"list\",\"export\":\"d\"}");
            assertEquals(1, only.get("exports").size());
            assertEquals(K64, only.at("/exports/0/bitmaps/0/dirtyBytes").asLong(), "b0 was disabled");
            assertEquals(4096, only.at("/exports/0/bitmaps/1/dirtyBytes").asLong(), "b1 recorded the write");

            assertEquals(K64, call(c, "{\"id\":5,\"verb\":\"clear\",\"export\":\"d\",\"bitmap\":\"b0\"}")
                    .at("/bitmap/dirtyBytes").asLong() + K64);
            assertTrue(call(c, "{\"id\":6,\"verb\":\"enable\",\"export\":\"d\",\"bitmap\":\"b0\"}").at("/bitmap/enabled")
                    .asBoolean());
            JsonNode remove = call(c, "{\"id\":7,\"verb\":\"remove\",\"export\":\"d\",\"bitmap\":\"b1\"}");
            assertEquals(json.readTree("{\"id\":7,\"ok\":true}"), remove);
            assertEquals(List.of("b0"), store.bitmaps().names());

            call(c, "{\"verb\":\"add\",\"export\":\"m\",\"bitmap\":\"x\",\"enabled\":false}");
            memory.markWrite(0, 10);
            call(c, "{\"verb\":\"add\",\"export\":\"m\",\"bitmap\":\"y\"}");
            memory.markWrite(2 * K64, 10);
            JsonNode merged = call(c, "{\"verb\":\"merge\",\"export\":\"m\",\"bitmap\":\"x\",\"source\":\"y\"}");
            assertEquals(K64, merged.at("/bitmap/dirtyBytes").asLong());
            assertTrue(merged.get("id").isNull());
        }
    }

    @Test
    void changesToPersistentBitmapsAreSavedAtOnce() throws IOException {
        try (ManagementClient c = ManagementClient.connect(socket)) {
            call(c, "{\"verb\":\"add\",\"export\":\"d\",\"bitmap\":\"new\",\"granularity\":512}");
        }
        byte[] file = Files.readAllBytes(store.file());
        assertTrue(new String(file, java.nio.charset.StandardCharsets.ISO_8859_1).contains("new"),
                "the store file holds the new bitmap before the response is sent");
    }

    @Test
    void badLinesGetAnErrorAndTheConnectionStays() throws IOException {
        try (ManagementClient c = ManagementClient.connect(socket)) {
            assertError(c, "this is not json", null, "bad-request", "not JSON");
            assertError(c, "{\"id\":1,\"verb\":", null, "bad-request", "not JSON");
            assertError(c, "[1,2]", null, "bad-request", "does not match");
            assertError(c, "{\"id\":2,\"verb\":\"explode\"}", "2", "bad-request", "verb");
            assertError(c, "{\"id\":3,\"verb\":\"add\",\"export\":\"d\"}", "3", "bad-request", "bitmap");
            assertError(c, "{\"id\":4,\"verb\":\"add\",\"export\":\"d\",\"bitmap\":\"q\",\"granularity\":1000}", "4",
                    "bad-request", "granularity");
            assertError(c, "{\"id\":5,\"verb\":\"clear\",\"export\":\"d\",\"bitmap\":\"b0\",\"granularity\":512}", "5",
                    "bad-request", "does not match");
            assertError(c, "{\"id\":6,\"verb\":\"list\",\"colour\":\"red\"}", "6", "bad-request", "colour");
            assertError(c, "{\"id\":{\"nested\":1},\"verb\":\"list\"}", null, "bad-request", "id");
            assertError(c, "{\"id\":7,\"verb\":\"merge\",\"export\":\"d\",\"bitmap\":\"b0\"}", "7", "bad-request",
                    "source");
            assertTrue(call(c, "{\"id\":8,\"verb\":\"list\"}").get("ok").asBoolean(), "still connected");
        }
    }

    @Test
    void refusalsCarryTheirCode() throws IOException {
        try (ManagementClient c = ManagementClient.connect(socket)) {
            assertError(c, "{\"id\":1,\"verb\":\"clear\",\"export\":\"nope\",\"bitmap\":\"b0\"}", "1", "no-such-export",
                    "nope");
            assertError(c, "{\"id\":2,\"verb\":\"list\",\"export\":\"nope\"}", "2", "no-such-export", "nope");
            assertError(c, "{\"id\":3,\"verb\":\"clear\",\"export\":\"d\",\"bitmap\":\"zz\"}", "3", "no-such-bitmap", "zz");
            assertError(c, "{\"id\":4,\"verb\":\"add\",\"export\":\"d\",\"bitmap\":\"b0\"}", "4", "exists", "b0");
            call(c, "{\"verb\":\"add\",\"export\":\"d\",\"bitmap\":\"fine\",\"granularity\":512}");
            assertError(c, "{\"id\":5,\"verb\":\"merge\",\"export\":\"d\",\"bitmap\":\"b0\",\"source\":\"fine\"}", "5",
                    "incompatible", "granularity");
            assertError(c, "{\"id\":6,\"verb\":\"add\",\"export\":\"d\",\"bitmap\":\"tab\\there\"}", "6", "invalid",
                    "control character");
        }
    }

    @Test
    void anOverlongLineIsSkippedAndAnswered() throws IOException {
        try (ManagementClient c = ManagementClient.connect(socket)) {
            String huge = "{\"id\":1,\"verb\":\"list\",\"export\":\"" + "x".repeat(ManagementServer.MAX_LINE_BYTES) + "\"}";
            assertError(c, huge, null, "bad-request", "longer than");
            assertTrue(call(c, "{\"id\":2,\"verb\":\"list\"}").get("ok").asBoolean());
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws IOException {
        try (ManagementClient c = ManagementClient.connect(socket)) {
            String first = c.exchange("{\"id\":1,\"verb\":\"list\"}\n\n{\"id\":2,\"verb\":\"list\"}\r\n{\"id\":3,\"verb\":\"list\"}");
            assertEquals(1, json.readTree(first).get("id").asInt());
            assertEquals(2, json.readTree(c.readResponse()).get("id").asInt());
            assertEquals(3, json.readTree(c.readResponse()).get("id").asInt());
        }
    }

    @Test
    void aSeventeenthClientIsTurnedAwayBusy() throws IOException {
        List<ManagementClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < ManagementServer.MAX_CLIENTS; i++) {
                ManagementClient c = ManagementClient.connect(socket);
                clients.add(c);
                call(c, "{\"verb\":\"list\"}"); // answered: its connection is registered
            }
            ManagementClient extra = ManagementClient.connect(socket);
            clients.add(extra);
            JsonNode busy = json.readTree(extra.readResponse());
            assertEquals("busy", busy.get("code").asString());
            assertSchemaValid(busy);
        } finally {
            for (ManagementClient c : clients) c.close();
        }
    }

    @Test
    void theSocketIsOwnerOnlyAndRemovedOnClose() throws IOException {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        ManagementClient c = ManagementClient.connect(socket);
        server.close();
        assertFalse(Files.exists(socket));
        assertThrows(IOException.class, () -> c.exchange("{\"verb\":\"list\"}"));
        c.close();
    }

    @Test
    void aStaleSocketIsReplacedButALiveOneOrAFileIsNot() throws IOException {
        Path stale = dir.resolve("stale.sock");
        try (ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            old.bind(UnixDomainSocketAddress.of(stale)); // closing leaves the file behind, as a crash would
        }
        assertTrue(Files.exists(stale));
        try (ManagementServer replacing = new ManagementServer(stale, Map.of("m", memory))) {
            replacing.start();
            try (ManagementClient c = ManagementClient.connect(stale)) {
                assertTrue(call(c, "{\"verb\":\"list\"}").get("ok").asBoolean());
            }
        }

        ManagementServer second = new ManagementServer(socket, Map.of("m", memory));
        assertThrows(FileAlreadyExistsException.class, second::start);
        second.close();
        assertTrue(Files.exists(socket), "the live socket is untouched");

        Path regular = Files.writeString(dir.resolve("notes.txt"), "keep me");
        ManagementServer third = new ManagementServer(regular, Map.of("m", memory));
        assertThrows(FileAlreadyExistsException.class, third::start);
        third.close();
        assertEquals("keep me", Files.readString(regular));
    }

    @Test
    void afterShutdownChangesAreRefusedAsClosed() throws IOException {
        store.close();
        try (ManagementClient c = ManagementClient.connect(socket)) {
            assertError(c, "{\"id\":1,\"verb\":\"clear\",\"export\":\"d\",\"bitmap\":\"b0\"}", "1", "closed", "shutdown");
        }
    }

    private JsonNode call(ManagementClient c, String line) throws IOException {
        JsonNode response = json.readTree(c.exchange(line));
        assertSchemaValid(response);
        assertTrue(response.get("ok").asBoolean(), line + " -> " + response);
        return response;
    }

    private void assertError(ManagementClient c, String line, String id, String code, String text) throws IOException {
        JsonNode response = json.readTree(c.exchange(line));
        assertSchemaValid(response);
        assertFalse(response.get("ok").asBoolean(), response.toString());
        assertEquals(code, response.get("code").asString(), response.toString());
        assertTrue(response.get("error").asString().contains(text), "expected \"" + text + "\" in " + response);
        assertEquals(id, response.get("id").isNull() ? null : response.get("id").asString(), response.toString());
    }

    private static void assertSchemaValid(JsonNode response) {
        assertEquals(List.of(), JsonSchemas.errors(response, ManagementProtocol.RESPONSE_SCHEMA), response.toString());
    }
}
