package dev.nbdref.server;

import dev.nbdref.conformance.Phase;
import dev.nbdref.conformance.ConnectionRecorder;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.CommandType;
import dev.nbdref.spec.ErrorCode;
import dev.nbdref.spec.TransmissionFlag;
import dev.nbdref.wire.BlockStatusPayload;
import dev.nbdref.wire.Request;
import dev.nbdref.wire.WireFormatException;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Checks one request header against the negotiated session before anything is executed. Each client
 * mistake is recorded with its rule; the result is the error to answer with, if any (S70).
 */
final class RequestValidator {
    private final Session session;
    private final ConnectionRecorder recorder;

    RequestValidator(Session session, ConnectionRecorder recorder) {
        this.session = session;
        this.recorder = recorder;
    }

    /** Where the request sits in the stream, for the report. */
    record Position(long index, long byteOffset, byte[] header) {}

    /**
     * A request ready to run: the header as it applies to the export (for BLOCK_STATUS with a payload, its
     * effect length), the contexts a BLOCK_STATUS reports on, and the error to answer instead, if any.
     */
    record Prepared(Request request, List<MetaContextSelection.Selected> contexts, Optional<RequestError> error) {}

    /** Checks a request whose payload (if any) has been read; {@code payload} is null when there was none. */
    Prepared prepare(Request r, ByteBuffer payload, Position at) {
        List<MetaContextSelection.Selected> contexts = session.metaContexts();
        if (r.has(CommandFlag.PAYLOAD_LEN) && session.extendedHeaders() && r.command() != CommandType.WRITE) {
            if (r.command() != CommandType.BLOCK_STATUS
                    || !session.advertised(TransmissionFlag.BLOCK_STATUS_PAYLOAD)) {
                String rule = r.command() == CommandType.BLOCK_STATUS ? "C45" : "C19";
                return new Prepared(r, contexts, fail(at, rule, "PAYLOAD_LEN on " + CommandType.nameOf(r.type())
                        + ", which takes no payload here (payload consumed)", ErrorCode.EINVAL));
            }
            Optional<BlockStatusPayload> form = statusPayload(payload, at);
            if (form.isEmpty()) return new Prepared(r, contexts, Optional.of(new RequestError(ErrorCode.EINVAL,
                    "invalid BLOCK_STATUS payload")));
            List<MetaContextSelection.Selected> subset = subset(form.get().contextIds());
            if (subset == null) {
                return new Prepared(r, contexts, fail(at, "C46", "BLOCK_STATUS payload names unknown or repeated "
                        + "context ids " + form.get().contextIds(), ErrorCode.EINVAL));
            }
            r = new Request(r.flags() & ~CommandFlag.PAYLOAD_LEN.bit, r.type(), r.cookie(), r.offset(),
                    form.get().effectLength());
            contexts = subset;
        }
        return new Prepared(r, contexts, check(r, at));
    }

    private Optional<BlockStatusPayload> statusPayload(ByteBuffer payload, Position at) {
        try {
            return Optional.of(BlockStatusPayload.decode(payload == null ? ByteBuffer.allocate(0) : payload));
        } catch (WireFormatException e) {
            fail(at, e.requirementId(), e.getMessage(), ErrorCode.EINVAL);
            return Optional.empty();
        }
    }

    /** The selected contexts with these ids, in the client's order; null if one is unknown or repeated (S72). */
    private List<MetaContextSelection.Selected> subset(List<Integer> ids) {
        if (ids.stream().distinct().count() != ids.size()) return null;
        List<MetaContextSelection.Selected> out = new ArrayList<>();
        for (int id : ids) {
            Optional<MetaContextSelection.Selected> s = session.metaContexts().stream().filter(c -> c.id() == id).findFirst();
            if (s.isEmpty()) return null;
            out.add(s.get());
        }
        return out;
    }

    Optional<RequestError> check(Request r, Position at) {
        CommandType cmd = r.command();
        if (cmd == null || cmd == CommandType.RESIZE) {
            return fail(at, "C34", "unknown command type " + r.type(), ErrorCode.EINVAL);
        }
        Optional<RequestError> e = checkFlags(r, cmd, at);
        if (e.isEmpty()) e = checkAdvertised(r, cmd, at);
        if (e.isEmpty()) e = checkRange(r, cmd, at);
        if (e.isEmpty()) e = checkSize(r, cmd, at);
        if (e.isEmpty() && cmd == CommandType.BLOCK_STATUS && session.metaContexts().isEmpty()) { // S68
            e = fail(at, "C24", "BLOCK_STATUS without a metadata context selected for this export", ErrorCode.EINVAL);
        }
        return e;
    }

    private static final Set<CommandType> WRITING = EnumSet.of(CommandType.WRITE, CommandType.TRIM,
            CommandType.WRITE_ZEROES);

    private Optional<RequestError> checkFlags(Request r, CommandType cmd, Position at) {
        // PAYLOAD_LEN is judged on its own (C20, C37, C45) rather than as an unknown bit
        int allowed = allowedFlags(cmd) | CommandFlag.PAYLOAD_LEN.bit;
        int bad = r.flags() & ~allowed;
        if (bad != 0) { // C19: a flag undefined, or not defined for this command
            return fail(at, "C19", String.format("flags 0x%x are not valid on %s", bad, CommandType.nameOf(r.type())),
                    ErrorCode.EINVAL);
        }
        if (r.has(CommandFlag.PAYLOAD_LEN) && !session.extendedHeaders()) {
            return fail(at, "C20", "PAYLOAD_LEN without extended headers", ErrorCode.EINVAL);
        }
        if (cmd == CommandType.WRITE && session.extendedHeaders() && !r.has(CommandFlag.PAYLOAD_LEN)) {
            note(at, "C50", "WRITE without PAYLOAD_LEN under extended headers", "payload read by its length, served");
        }
        if (r.has(CommandFlag.FUA) && !session.advertised(TransmissionFlag.SEND_FUA)) {
            return fail(at, "C20", "FUA without NBD_FLAG_SEND_FUA", ErrorCode.EINVAL);
        }
        if (r.has(CommandFlag.DF) && !session.advertised(TransmissionFlag.SEND_DF)) {
            return fail(at, "C20", "DF without NBD_FLAG_SEND_DF", ErrorCode.EINVAL);
        }
        if (r.has(CommandFlag.FAST_ZERO) && !session.advertised(TransmissionFlag.SEND_FAST_ZERO)) {
            return fail(at, "C20", "FAST_ZERO without NBD_FLAG_SEND_FAST_ZERO", ErrorCode.EINVAL); // S58
        }
        if (r.has(CommandFlag.FUA) && !WRITING.contains(cmd)) { // S54: accepted, but clients should not
            note(at, "C21", "FUA on " + CommandType.nameOf(r.type()) + ", which writes nothing", "accepted, ignored");
        }
        return Optional.empty();
    }

    /** Flags each command may carry; FUA is valid on every command (S54). */
    private static int allowedFlags(CommandType cmd) {
        int fua = CommandFlag.FUA.bit;
        switch (cmd) {
            case READ: return fua | CommandFlag.DF.bit;
            case WRITE_ZEROES: return fua | CommandFlag.NO_HOLE.bit | CommandFlag.FAST_ZERO.bit;
            case BLOCK_STATUS: return fua | CommandFlag.REQ_ONE.bit;
            default: return fua;
        }
    }

    private Optional<RequestError> checkAdvertised(Request r, CommandType cmd, Position at) {
        if (session.export().readOnly() && WRITING.contains(cmd)) { // S56: EPERM, connection kept
            String rule = cmd == CommandType.WRITE ? "C35" : "C22";
            return fail(at, rule, CommandType.nameOf(r.type()) + " on a read-only export", ErrorCode.EPERM);
        }
        if ((cmd == CommandType.FLUSH || cmd == CommandType.DISC) && (r.offset() != 0 || r.length() != 0)) {
            String detail = CommandType.nameOf(r.type()) + " with offset " + Long.toUnsignedString(r.offset())
                    + " and length " + Long.toUnsignedString(r.length()) + " (both must be 0)";
            if (cmd == CommandType.DISC) {
                note(at, "C31", detail, "disconnecting anyway");
                return Optional.empty();
            }
            return fail(at, "C31", detail, ErrorCode.EINVAL);
        }
        return Optional.empty();
    }

    private Optional<RequestError> checkRange(Request r, CommandType cmd, Position at) {
        if (cmd == CommandType.FLUSH || cmd == CommandType.DISC) return Optional.empty();
        if (r.length() == 0) {
            note(at, "C30", "zero-length " + CommandType.nameOf(r.type()), cmd == CommandType.BLOCK_STATUS
                    ? "EINVAL" : "answered as a no-op");
            if (cmd == CommandType.BLOCK_STATUS) return Optional.of(new RequestError(ErrorCode.EINVAL, "zero length"));
        }
        long size = session.export().size();
        if (Long.compareUnsigned(r.end(), size) > 0) { // C26; S70: ENOSPC for writes past the end, else EINVAL
            ErrorCode code = (cmd == CommandType.WRITE || cmd == CommandType.WRITE_ZEROES)
                    ? ErrorCode.ENOSPC : ErrorCode.EINVAL;
            return fail(at, "C26", "range " + Long.toUnsignedString(r.offset()) + "+" + Long.toUnsignedString(r.length())
                    + " ends past the export size " + size, code);
        }
        SizeConstraints sizes = session.sizes();
        if (!sizes.isAligned(r.offset()) || !sizes.isAligned(r.length())) {
            String detail = "offset " + Long.toUnsignedString(r.offset()) + " or length " + Long.toUnsignedString(r.length())
                    + " is not a multiple of the minimum block size " + sizes.minimum();
            if (session.blockSizeCommitted()) return fail(at, "C27", detail, ErrorCode.EINVAL);
            // The client never agreed to the constraint; refusing it cleanly is the server's duty, not its fault.
            return Optional.of(new RequestError(ErrorCode.EINVAL, detail));
        }
        return Optional.empty();
    }

    private Optional<RequestError> checkSize(Request r, CommandType cmd, Position at) {
        long max = Integer.toUnsignedLong(session.sizes().maximumPayload());
        // An oversized WRITE payload is judged by the reader before it reads it (TransmissionLoop).
        if (cmd == CommandType.READ && !session.structuredReplies() && r.length() > max) {
            return fail(at, "C28", CommandType.nameOf(r.type()) + " of " + r.length()
                    + " bytes exceeds the maximum payload " + max, ErrorCode.EINVAL);
        }
        return Optional.empty();
    }

    private Optional<RequestError> fail(Position at, String rule, String detail, ErrorCode code) {
        recorder.record(rule, Phase.TRANSMISSION, at.index(), at.byteOffset(), detail, at.header(), code.name() + " reply");
        return Optional.of(new RequestError(code, detail));
    }

    private void note(Position at, String rule, String detail, String reaction) {
        recorder.record(rule, Phase.TRANSMISSION, at.index(), at.byteOffset(), detail, at.header(), reaction);
    }
}
