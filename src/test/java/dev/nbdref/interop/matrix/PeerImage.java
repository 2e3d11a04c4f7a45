package dev.nbdref.interop.matrix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One peer image of the matrix, as described by {@code conformance/peers/NAME/peer.conf} (KEY=VALUE lines in sh
 * syntax, shared with the Dockerfile and the offline build script).
 */
record PeerImage(String name, String image, String suite, String description) {

    /** Every peer directory under {@code peersDir} that has a peer.conf, sorted by name. */
    static List<PeerImage> loadAll(Path peersDir) {
        List<PeerImage> peers = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(peersDir)) {
            for (Path dir : dirs.sorted().toList()) {
                Path conf = dir.resolve("peer.conf");
                if (Files.isRegularFile(conf)) {
                    peers.add(parse(conf));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list peer images in " + peersDir, e);
        }
        return peers;
    }

    static PeerImage parse(Path conf) throws IOException {
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : Files.readAllLines(conf)) {
            String trimmed = line.strip();
            int eq = trimmed.indexOf('=');
            if (trimmed.isEmpty() || trimmed.startsWith("#") || eq <= 0) {
                continue;
            }
            String value = trimmed.substring(eq + 1);
            if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                    || value.startsWith("'") && value.endsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            values.put(trimmed.substring(0, eq), value);
        }
        for (String key : List.of("NAME", "IMAGE", "SUITE")) {
            if (!values.containsKey(key)) {
                throw new IllegalArgumentException(conf + " lacks " + key + "=");
            }
        }
        String name = values.get("NAME");
        if (!name.equals(conf.getParent().getFileName().toString())) {
            throw new IllegalArgumentException(conf + ": NAME=" + name + " differs from its directory name");
        }
        return new PeerImage(name, values.get("IMAGE"), values.get("SUITE"), values.getOrDefault("DESCRIPTION", ""));
    }
}
