package dev.nbdref.interop.matrix;

import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * One interop scenario (conformance/scenarios/ID.json, schema spec/schemas/interop-scenario.schema.json):
 * the server it needs, the peer script, the features it exercises and how its result is judged.
 */
record Scenario(String id, String title, List<String> features, List<Requirement> requires, Server server,
                String command, int timeoutSeconds, Expect expect) {

    /** A condition on the peer image (tool version, peer name) or on the server's capabilities. */
    record Requirement(String tool, String atLeast, String below, List<String> peers, String server, String reason) {
    }

    record Export(String name, String backend, String size, boolean readOnly, String description) {
    }

    /** {@code tls} and {@code bitmaps} are kept as given (null, empty when absent); the harness reports them unsupported until it can set them up. */
    record Server(List<Export> exports, Integer minBlock, JsonNode tls, List<JsonNode> bitmaps, List<String> args) {
        Export firstExport() {
            return exports.get(0);
        }
    }

    record FileCheck(String path, String sha256, String sameAs, Long size) {
    }

    record AllowedViolation(String requirement, String reason) {
    }

    record ViolationRule(int maxMust, Integer maxShould, int minConnections, List<AllowedViolation> allow) {
        static final ViolationRule DEFAULT = new ViolationRule(0, null, 1, List.of());

        boolean allows(String requirement) {
            return allow.stream().anyMatch(a -> a.requirement().equals(requirement));
        }
    }

    /** {@code exitStatus} null means any status is accepted. */
    record Expect(Integer exitStatus, List<String> stdout, List<String> stderr, List<String> output,
                  List<String> notOutput, List<FileCheck> files, ViolationRule violations) {
    }
}
