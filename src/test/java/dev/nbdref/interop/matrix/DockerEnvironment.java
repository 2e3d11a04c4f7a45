package dev.nbdref.interop.matrix;

import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.nbdref.interop.PeerResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.testcontainers.DockerClientFactory;

/**
 * The Docker side as the matrix sees it: is an engine reachable, is a peer image there (and with which recipe),
 * which tool versions does it hold.
 */
final class DockerEnvironment {

    static final String HOW_TO = "start the private engine and build the peer images with"
            + " 'scripts/container-peers.sh start && scripts/container-peers.sh build', then run with"
            + " DOCKER_HOST=unix:///run/nbdref-docker.sock TESTCONTAINERS_RYUK_DISABLED=true"
            + " TESTCONTAINERS_HOST_OVERRIDE=localhost (./run-tests does all of this)";

    /** What the image inspection found; {@code problem} is null when the image can be used. */
    record ImageState(String id, String recipe, String problem) {
    }

    private DockerEnvironment() {
    }

    /** Null when an engine answers, else why not. */
    static String unavailable() {
        try {
            if (DockerClientFactory.instance().isDockerAvailable()) {
                return null;
            }
            return "no Docker engine is reachable (DOCKER_HOST=" + System.getenv("DOCKER_HOST") + ")";
        } catch (RuntimeException | LinkageError e) {
            return "no Docker engine is reachable (DOCKER_HOST=" + System.getenv("DOCKER_HOST") + "): " + e;
        }
    }

    static String engineVersion() {
        return DockerClientFactory.instance().getInfo().getServerVersion() + " (API "
                + DockerClientFactory.instance().getActiveApiVersion() + ")";
    }

    static ImageState inspect(PeerImage peer) {
        try {
            InspectImageResponse image = DockerClientFactory.instance().client().inspectImageCmd(peer.image()).exec();
            Map<String, String> labels = image.getConfig() == null || image.getConfig().getLabels() == null
                    ? Map.of() : image.getConfig().getLabels();
            return new ImageState(image.getId(), labels.getOrDefault("dev.nbdref.recipe", ""), null);
        } catch (NotFoundException e) {
            return new ImageState(null, null, "image " + peer.image() + " is not built");
        }
    }

    /** Runs conformance/peers/probe-versions.sh in the image: tool name to version ("" when missing). */
    static Map<String, String> versions(PeerImage peer, Path probeScript) {
        String script;
        try {
            script = Files.readString(probeScript);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path scratch;
        try {
            scratch = Files.createTempDirectory("nbdref-matrix-probe-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            PeerResult result = ContainerRun.run(peer.image(), script, scratch, Duration.ofSeconds(60));
            if (!result.succeeded()) {
                throw new IllegalStateException("version probe failed in " + peer.image() + "\n" + result.describe());
            }
            Map<String, String> versions = new LinkedHashMap<>();
            result.stdout().lines().filter(l -> l.contains("=")).forEach(l -> {
                int eq = l.indexOf('=');
                versions.put(l.substring(0, eq).strip(), l.substring(eq + 1).strip());
            });
            return versions;
        } finally {
            try {
                Files.deleteIfExists(scratch);
            } catch (IOException ignored) {
                // An empty directory left in /tmp is harmless.
            }
        }
    }
}
