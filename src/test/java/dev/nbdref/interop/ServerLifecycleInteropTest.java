package dev.nbdref.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The command-line contract the other interop tests rely on: URIs on stdout, clean stop on SIGTERM. */
class ServerLifecycleInteropTest {

    /**
     * {@code serve --listen 127.0.0.1:0} with three exports prints one URI per export with the real port, a
     * peer can use the server, and SIGTERM ends it with exit status 0.
     */
    @Test
    void printsOneUriPerExportAndStopsCleanlyOnSigterm() {
        NbdrefProcess server = NbdrefProcess.start("--export", "a=memory:1M", "--export", "b=memory:2M",
                "--export", "c=memory:3M,ro");
        try (server) {
            assertTrue(server.port() > 0, "port " + server.port());
            for (String name : new String[] {"a", "b", "c"}) {
                assertEquals("nbd://127.0.0.1:" + server.port() + "/" + name, server.uri(name));
            }
            PeerCommand.of("nbdinfo", "--size", server.uri("b")).run().assertSuccess(server);
            assertEquals(0, server.stop(), "exit status after SIGTERM\n" + server.logReport());
        }
    }

    /** With no arguments besides the listen address the server has one export, "default", of 1 GiB. */
    @Test
    void defaultExportIsOneGibibyteOfMemory() {
        try (NbdrefProcess server = NbdrefProcess.start()) {
            PeerResult size = PeerCommand.of("nbdinfo", "--size", server.uri("default")).run().assertSuccess(server);
            assertEquals("1073741824", size.stdout().trim(), size.describe());
        }
    }
}
