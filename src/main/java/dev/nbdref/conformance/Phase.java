package dev.nbdref.conformance;

/** Where in a connection something happened. */
public enum Phase {
    HANDSHAKE, OPTIONS, TRANSMISSION
}
