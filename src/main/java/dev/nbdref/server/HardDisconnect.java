package dev.nbdref.server;

/** The server decided to drop the connection without further replies; the message says why. */
final class HardDisconnect extends Exception {
    HardDisconnect(String reason) { super(reason); }
}
