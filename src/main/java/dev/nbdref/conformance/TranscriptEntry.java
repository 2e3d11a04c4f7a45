package dev.nbdref.conformance;

/**
 * One message of a connection's negotiation, decoded, for the report's transcript.
 *
 * @param fromClient true for what the client sent, false for the server's answer
 * @param byteOffset where the message starts in the sender's stream (client side) or -1 (server side)
 * @param summary    the message decoded in one line, e.g. "NBD_OPT_GO name=\"disk\" info=[NAME, BLOCK_SIZE]"
 */
public record TranscriptEntry(Phase phase, boolean fromClient, long byteOffset, String summary) {
}
