package dev.nbdref.server;

import dev.nbdref.conformance.ConnectionRecorder;

import java.net.Socket;
import java.util.function.BooleanSupplier;

/**
 * What both phases of one connection share: its streams, its recorder, and the server's settings.
 * The raw socket is here only for the TLS upgrade, which must write beneath the reply sender.
 */
record ConnectionContext(String id, Socket socket, ClientInput in, ReplySender out, ConnectionRecorder recorder,
                         ExportRegistry exports, ServerConfig config, BooleanSupplier shuttingDown) {

    boolean isShuttingDown() { return shuttingDown.getAsBoolean(); }
}
