package dev.nbdref.interop.matrix;

import java.util.List;

/**
 * One interop scenario (conformance/scenarios/ID.json, schema spec/schemas/interop-scenario.schema.json):
 * the server it needs, the peer script, the features it exercises and how its result is judged.
 */
record Scenario(String id, String title, List<String> features, List<Requirement> requires, Server server,
                String command, int timeoutSeconds, Expect expect) {

    /** A condition on the peer image (tool version, peer name) or on the server's capabilities. */
    record Requirement(String tool, String atLeast, String below, List<String> peers, String server, String reason) {
    }

    /**
     * {@code size} is null for a bochs export, whose size is its image's; {@code image} (a path from the repository
     * root) is set for bochs exports only.
     */
    record Export(String name, String backend, String size, String image, boolean readOnly, String description) {
        boolean isBochs() {
            return backend.equals("bochs");
        }
    }

    /** STARTTLS on the server: mode on|require, credentials x509|psk, and whether a client certificate is required. */
    record Tls(String mode, String credentials, boolean verifyPeer) {
        boolean x509() {
            return credentials.equals("x509");
        }
    }

    /** A dirty bitmap on an export; {@code granularity} in bytes, null for the server's default. */
    record Bitmap(String export, String name, Integer granularity) {
    }

    /** {@code tls} and {@code validatorProfile} are null when absent: no TLS, no {@code --validate}. */
    record Server(List<Export> exports, Integer minBlock, Tls tls, List<Bitmap> bitmaps, String validatorProfile,
                  List<String> args) {
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
