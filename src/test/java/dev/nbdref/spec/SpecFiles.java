package dev.nbdref.spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** Shared access to spec/ for the Spec* tests. */
final class SpecFiles {
    private SpecFiles() {}

    static final ObjectMapper JSON = new ObjectMapper();

    /** The project directory; surefire runs tests with it as the working directory. */
    static Path projectDir() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    }

    /** Reads a text file of spec/ from the classpath. */
    static String classpathText(String resource) {
        try (InputStream in = SpecFiles.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the test classpath");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a spec file the way production code does: from the classpath. */
    static JsonNode classpathJson(String resource) {
        try (InputStream in = SpecFiles.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the test classpath");
            }
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
