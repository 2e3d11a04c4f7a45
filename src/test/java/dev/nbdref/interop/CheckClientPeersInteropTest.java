package dev.nbdref.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nbdref.conformance.ClientReportJson;
import dev.nbdref.spec.JsonSchemas;
import dev.nbdref.testing.Verifies;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The well-behaved real clients under check-client, against the strict server and the minimal one (no structured
 * replies, no contexts, no extended headers, no NO_ZEROES): none may break a MUST rule. SHOULD-level deviations
 * are allowed and printed, so the README can list them. nbd-client -N negotiates and then, for want of the nbd
 * kernel module, drops the connection: exactly one hard disconnect in transmission (C17) and nothing else.
 */
class CheckClientPeersInteropTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static Path source;

    /** A 64 MiB image with data at the start and in the middle, the rest holes: clients see both kinds. */
    @BeforeAll
    static void makeSourceImage() throws IOException {
        source = dir.resolve("source.raw");
        try (RandomAccessFile f = new RandomAccessFile(source.toFile(), "rw")) {
            f.setLength(64 << 20);
            byte[] data = new byte[1 << 20];
            for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 31 + 7);
            f.write(data);
            f.seek(32 << 20);
            f.write(data);
        }
    }

    static Stream<Arguments> clients() {
        List<Arguments> out = new ArrayList<>();
        for (String profile : List.of("strict", "minimal")) {
            String out1 = dir.resolve(profile + "-qemu.raw").toString();
            String out2 = dir.resolve(profile + "-nbdcopy.raw").toString();
            String src = source.toString();
            out.add(Arguments.of(profile, List.of("qemu-img", "info", "{uri}")));
            out.add(Arguments.of(profile, List.of("qemu-img", "map", "--output=json", "{uri}")));
            out.add(Arguments.of(profile, List.of("qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", src, "{uri}")));
            out.add(Arguments.of(profile, List.of("qemu-img", "convert", "-f", "raw", "-O", "raw", "{uri}", out1)));
            out.add(Arguments.of(profile, List.of("qemu-io", "-f", "raw", "-c", "write -P 0xab 0 64k", "-c",
                    "read -P 0xab 0 64k", "-c", "write -z 64k 64k", "-c", "discard 128k 64k", "-c", "flush", "{uri}")));
            out.add(Arguments.of(profile, List.of("nbdinfo", "{uri}")));
            out.add(Arguments.of(profile, List.of("nbdinfo", "--list", "{uri}")));
            out.add(Arguments.of(profile, List.of("nbdcopy", src, "{uri}")));
            out.add(Arguments.of(profile, List.of("nbdcopy", "{uri}", out2)));
            out.add(Arguments.of(profile, List.of("nbd-client", "-l", "{host}", "{port}")));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("clients")
    void wellBehavedClientsBreakNoMustRule(String profile, List<String> client) throws IOException {
        Checked c = checkClient(profile, client);
        assertEquals(0, c.root.get("summary").get("must").asInt(), "MUST violations\n" + c.run.describe());
        assertEquals(0, c.run.exitCode(), c.run.describe());
        assertEquals(0, c.root.get("client").get("exitStatus").asInt(), "the client itself failed\n" + c.run.describe());
        assertTrue(c.root.get("coverage").get("checked").asInt() > 5, c.run.describe());
        for (JsonNode conn : c.root.get("connections")) {
            for (JsonNode v : conn.get("violations")) { // allowed, but worth documenting: print them
                System.out.println("SHOULD-level deviation of `" + String.join(" ", client) + "` under " + profile
                        + ": " + v.get("requirement").asString() + " " + v.get("detail").asString());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"strict", "minimal"})
    @Verifies("C17")
    void nbdClientWithoutItsKernelModuleHardDisconnectsOnceAfterGo(String profile) throws IOException {
        Assumptions.assumeFalse(Files.isDirectory(Path.of("/sys/module/nbd")),
                "with an nbd kernel module nbd-client -N really attaches /dev/nbd0");
        Checked c = checkClient(profile, List.of("nbd-client", "-N", "{export}", "{host}", "{port}", "/dev/nbd0"));
        assertEquals(1, c.run.exitCode(), c.run.describe());
        JsonNode connections = c.root.get("connections");
        assertEquals(1, connections.size(), c.run.describe());
        assertEquals("TRANSMISSION", connections.get(0).get("phaseReached").asString());
        JsonNode violations = connections.get(0).get("violations");
        assertEquals(1, violations.size(), c.run.describe());
        assertEquals("C17", violations.get(0).get("requirement").asString());
        assertEquals("TRANSMISSION", violations.get(0).get("phase").asString());
        assertTrue(c.run.stdout().contains("size = 64MB"), "it negotiated the export\n" + c.run.describe());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nbdinfo"})
    void tlsRequiredGetsAThrowawayPkiTheClientCanUse(String program) throws IOException {
        Checked c = checkClient("tls-required", List.of(program, "{uri}?tls-certificates={tls-dir}"));
        assertEquals(0, c.run.exitCode(), c.run.describe());
        assertTrue(c.root.get("server").get("uris").get(0).asString().startsWith("nbds://"));
        boolean tls = false;
        for (JsonNode m : c.root.get("connections").get(0).get("transcript")) {
            tls |= m.get("message").asString().startsWith("TLS handshake done");
        }
        assertTrue(tls, "no TLS handshake in the transcript\n" + c.run.describe());
    }

    private record Checked(PeerResult run, JsonNode root) {
    }

    /** Runs {@code nbdref check-client --profile P --report R -- CLIENT...} from the built jar. */
    private static Checked checkClient(String profile, List<String> client) throws IOException {
        Path report = Files.createTempFile(dir, "report", ".json");
        Files.delete(report);
        List<String> args = new ArrayList<>(List.of("-jar", CheckClientCorpusInteropTest.jar(), "check-client",
                "--profile", profile, "--report", report.toString(), "--timeout", "120", "--"));
        args.add(Peer.require(client.get(0)).toString()); // a missing peer fails with the install hint
        args.addAll(client.subList(1, client.size()));
        PeerResult run = new PeerCommand(CheckClientCorpusInteropTest.java(), args.toArray())
                .timeout(Duration.ofSeconds(180)).run();
        assertTrue(Files.exists(report), "no report written\n" + run.describe());
        JsonNode root = JSON.readTree(Files.readString(report));
        assertEquals(List.of(), JsonSchemas.errors(root, ClientReportJson.SCHEMA), run.describe());
        return new Checked(run, root);
    }
}
