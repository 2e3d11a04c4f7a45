package dev.nbdref.server;

import dev.nbdref.conformance.ViolationRecorder;

import java.util.function.BooleanSupplier;

/** What both phases of one connection share: its streams, its recorder, and the server's settings. */
record ConnectionContext(String id, ClientInput in, ReplySender out, ViolationRecorder recorder,
                         ExportRegistry exports, ServerConfig config, BooleanSupplier shuttingDown) {

    boolean isShuttingDown() { return shuttingDown.getAsBoolean(); }
}
