package dev.nbdref.cli;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CheckClientTemplateTest {
    private final CheckClientTemplate t = new CheckClientTemplate("nbd://127.0.0.1:4321/disk", "127.0.0.1", 4321,
            "disk", "/tmp/pki");

    @Test
    void placeholdersAreReplacedInsideArguments() {
        assertEquals(List.of("qemu-img", "info", "nbd://127.0.0.1:4321/disk", "driver=nbd,host=127.0.0.1,port=4321,"
                        + "export=disk", "tls=/tmp/pki/ca-cert.pem"),
                t.apply(List.of("qemu-img", "info", "{uri}", "driver=nbd,host={host},port={port},export={export}",
                        "tls={tls-dir}/ca-cert.pem")));
    }

    @Test
    void otherBracesArePassedThrough() {
        assertEquals("json:{\"file\":{\"driver\":\"nbd\"}} {unknown} {port", t.apply(
                "json:{\"file\":{\"driver\":\"nbd\"}} {unknown} {port"));
    }

    @Test
    void substitutedValuesAreNotSubstitutedAgain() {
        CheckClientTemplate odd = new CheckClientTemplate("nbd://h:1/{port}", "h", 1, "{uri}", null);
        assertEquals("nbd://h:1/{port} {uri} []", odd.apply("{uri} {export} [{tls-dir}]"));
    }

    @Test
    void theValuesAreAlsoEnvironmentVariables() {
        assertEquals(Map.of("NBDREF_URI", "nbd://127.0.0.1:4321/disk", "NBDREF_HOST", "127.0.0.1", "NBDREF_PORT", "4321",
                "NBDREF_EXPORT", "disk", "NBDREF_TLS_DIR", "/tmp/pki"), t.environment());
    }
}
