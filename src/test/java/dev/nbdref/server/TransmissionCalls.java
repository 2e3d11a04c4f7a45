package dev.nbdref.server;

import dev.nbdref.spec.CommandType;
import dev.nbdref.wire.Request;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The request conveniences both transmission test clients share. Each client supplies its own cookies and its own
 * {@link #call}, which frames the request (compact for {@link TransmissionClient}, extended for
 * {@link ExtendedClient}) and checks the reply against the spec.
 */
interface TransmissionCalls<R extends TransmissionCalls.Result> {

    /** What every decoded reply tells: its error value (0 on success) and the data of a successful READ. */
    interface Result {
        int error();

        byte[] data();
    }

    long cookie();

    /** Sends {@code r} (with {@code payload} when it carries one, else null) and reads its checked reply. */
    R call(Request r, byte[] payload) throws IOException;

    default R call(Request r) throws IOException { return call(r, null); }

    default Request req(int flags, CommandType type, long offset, long length) {
        return new Request(flags, type.value, cookie(), offset, length);
    }

    default Request req(CommandType type, long offset, long length) { return req(0, type, offset, length); }

    /** Sends {@code r} and returns just the error value of its reply. */
    default int errorOf(Request r, byte[] payload) throws IOException { return call(r, payload).error(); }

    default int errorOf(Request r) throws IOException { return call(r, null).error(); }

    /** A READ that must succeed: its data. */
    default byte[] read(long offset, int length) throws IOException {
        R rep = call(req(CommandType.READ, offset, length));
        assertEquals(0, rep.error(), "READ " + offset + "+" + length);
        return rep.data();
    }
}
