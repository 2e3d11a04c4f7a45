package dev.nbdref.fuzz;

import dev.nbdref.model.ExportModel;
import dev.nbdref.spec.CommandFlag;
import dev.nbdref.spec.HandshakeFlag;
import dev.nbdref.spec.InfoType;
import dev.nbdref.spec.Magic;
import dev.nbdref.spec.MetaContext;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.spec.ReplyType;
import dev.nbdref.spec.TransmissionFlag;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Judges a server's whole output against the client bytes that caused it, as an independent client-side reading
 * of the spec: it walks the client's stream message by message (as the server must parse it) and, in lockstep,
 * the server's output, and fails unless every reaction is one the spec permits.
 *
 * <ul>
 *   <li>Framing: the greeting; option replies with the magic, the option echoed, known reply types, ACK empty,
 *       error messages as strings, INFO/SERVER/META_CONTEXT only where they belong, one final reply per option;
 *       the export reply of EXPORT_NAME; then replies in the negotiated framing (simple, structured, extended)
 *       with the cookie and (extended) the offset echoed, DONE exactly on the last chunk, no unknown flags, chunk
 *       types that fit the command, READ chunks covering the request exactly, DF answered in one chunk, status
 *       chunks per selected context with REQ_ONE honoured and no descriptor starting past the request.</li>
 *   <li>Reactions: an option the server does not know gets ERR_UNSUP (S07); malformed INFO/GO and meta context
 *       payloads get ERR_INVALID (S11); unknown exports ERR_UNKNOWN (S19); a request succeeds exactly when it is
 *       valid for the negotiated session (a memory export never fails), and an error value is one the spec
 *       allows for it (EIO would be an internal error). Where the stream cannot go on (bad magic, DISC, a client
 *       that closed mid-message, a hard disconnect the spec allows) the output must end there.</li>
 *   <li>Data: READ returns what earlier requests wrote (a byte model of "disk"; "ro" is all zeroes), a range
 *       reported ZERO reads as zero, and qemu:dirty-bitmap:b0 reports exactly the granules written.</li>
 * </ul>
 *
 * It also adds up what the server may legitimately allocate for this input ({@link #allowedAllocation}).
 */
final class ReactionChecker {
    private static final int MAX_STRING = 4096;
    private static final long PARSED_OPTION = 1 << 20;
    private static final long SKIPPED_OPTION = 32L << 20;
    private static final long DISCARDED_PAYLOAD = 64L << 20;
    private static final int EPERM = 1, EIO = 5, EINVAL = 22, ENOSPC = 28, EOVERFLOW = 75, ENOTSUP = 95;
    private static final int READ = 0, WRITE = 1, DISC = 2, FLUSH = 3, TRIM = 4, CACHE = 5, WRITE_ZEROES = 6,
            BLOCK_STATUS = 7;

    private final byte[] c;
    private final byte[] o;
    private final boolean truncated;
    private final FuzzServer server;
    private int cp;
    private int op;
    private long allowance = 64L << 20; // class loading, JIT and the first connection's setup

    // negotiation state, as the client can know it from the replies
    private boolean fixedNewstyle;
    private boolean noZeroes;
    private boolean structured;
    private boolean extended;
    private String metaExport;
    private Map<String, Integer> metaContexts = Map.of();
    private int optionsSeen;

    // transmission state
    private String export;
    private int transmissionFlags;
    private Map<Integer, String> contexts = Map.of();
    private final ExportModel disk = new ExportModel(FuzzServer.DISK_SIZE, FuzzServer.GRANULARITY);
    private long requests;

    private ReactionChecker(byte[] client, byte[] output, boolean truncated, FuzzServer server) {
        this.c = client;
        this.o = output;
        this.truncated = truncated;
        this.server = server;
    }

    /** Checks the output and returns how many bytes the server may have allocated for this input. */
    static long check(byte[] client, byte[] output, boolean truncated, FuzzServer server) {
        ReactionChecker k = new ReactionChecker(client, output, truncated, server);
        try {
            k.run();
        } catch (Stop stop) {
            // the output was cut at the capture limit: what was captured is checked, the rest cannot be
        }
        return k.allowance;
    }

    /** Thrown when the captured output ends because of the capture limit, not because the server stopped. */
    private static final class Stop extends RuntimeException {
        private static final long serialVersionUID = 1L;
        Stop() { super(null, null, false, false); }
    }

    private AssertionError fail(String what) {
        return new AssertionError(what + " (client byte " + cp + " of " + c.length + ", server byte " + op + " of "
                + o.length + (truncated ? "+" : "") + ")");
    }

    // ---------------------------------------------------------------- output cursor

    private void need(int n, String what) {
        if (o.length - op >= n) return;
        if (truncated) throw new Stop();
        throw fail("the server's output ends inside " + what + " (needs " + n + " more bytes, has " + (o.length - op) + ")");
    }

    private ByteBuffer take(int n, String what) {
        need(n, what);
        ByteBuffer b = ByteBuffer.wrap(o, op, n).slice();
        op += n;
        return b;
    }

    /** The server must send nothing more: the connection ends here. */
    private void expectEnd(String why) {
        if (op < o.length) {
            throw fail("the server should have stopped (" + why + ") but sent " + (o.length - op) + " more bytes");
        }
        if (truncated) throw new Stop();
    }

    private int clientLeft() { return c.length - cp; }

    // ---------------------------------------------------------------- negotiation

    private void run() {
        ByteBuffer g = take(18, "the greeting");
        if (g.getLong() != Magic.NBDMAGIC || g.getLong() != Magic.IHAVEOPT) throw fail("bad greeting magic");
        int serverFlags = Short.toUnsignedInt(g.getShort());
        if (serverFlags != server.serverHandshakeFlags()) throw fail("greeting flags " + serverFlags);
        if (clientLeft() < 4) {
            expectEnd("the client closed before sending its flags");
            return;
        }
        int flags = ByteBuffer.wrap(c, cp, 4).getInt();
        cp += 4;
        if ((flags & ~HandshakeFlag.knownMask()) != 0 || (flags & ~serverFlags) != 0) {
            expectEnd("S03: client flags the server did not offer");
            return;
        }
        fixedNewstyle = HandshakeFlag.FIXED_NEWSTYLE.isSetIn(flags);
        noZeroes = HandshakeFlag.NO_ZEROES.isSetIn(flags);
        while (true) {
            if (clientLeft() < 16) {
                allowance += 128 * 1024;
                expectEnd("the client closed during negotiation");
                return;
            }
            ByteBuffer h = ByteBuffer.wrap(c, cp, 16);
            long magic = h.getLong();
            int option = h.getInt();
            long length = Integer.toUnsignedLong(h.getInt());
            cp += 16;
            optionsSeen++;
            allowance += 64 * 1024;
            if (magic != Magic.IHAVEOPT) {
                expectEnd("bad option magic");
                return;
            }
            if (optionsSeen > 4096) {
                expectEnd("too many options");
                return;
            }
            if (length > PARSED_OPTION) {
                if (option == OptionType.EXPORT_NAME.value || !fixedNewstyle || length > SKIPPED_OPTION
                        || clientLeft() < length) {
                    expectEnd("an option too long to answer, or the client closed inside it");
                    return;
                }
                cp += (int) length;
                if (option == OptionType.ABORT.value) {
                    abortReply();
                    return;
                }
                finalReply(option, "an oversized option", OptionReplyType.ERR_TOO_BIG);
                continue;
            }
            allowance += 2 * length; // the payload is read into an array before it arrives
            if (clientLeft() < length) {
                expectEnd("the client closed inside an option");
                return;
            }
            byte[] payload = new byte[(int) length];
            System.arraycopy(c, cp, payload, 0, payload.length);
            cp += payload.length;
            allowance += 48L * payload.length; // decoded lists of boxed info types, strings, transcript
            if (!fixedNewstyle && option != OptionType.EXPORT_NAME.value) {
                expectEnd("C02: an option other than EXPORT_NAME from a client without FIXED_NEWSTYLE");
                return;
            }
            if (!option(option, payload)) return;
        }
    }

    /** Checks the replies to one option; false when negotiation is over (transmission was checked too). */
    private boolean option(int option, byte[] payload) {
        OptionType type = OptionType.of(option);
        boolean offered = type != null && type != OptionType.PEEK_EXPORT && !(server.minimal()
                && (type == OptionType.STRUCTURED_REPLY || type == OptionType.EXTENDED_HEADERS
                || type == OptionType.LIST_META_CONTEXT || type == OptionType.SET_META_CONTEXT));
        if (!offered) {
            finalReply(option, "an unsupported option (S07)", OptionReplyType.ERR_UNSUP);
            return true;
        }
        switch (type) {
            case EXPORT_NAME: return exportName(payload);
            case ABORT: abortReply(); return false;
            case LIST: list(payload); return true;
            case STARTTLS:
                finalReply(option, "STARTTLS without TLS configured", payload.length > 0 ? OptionReplyType.ERR_INVALID : null);
                return true;
            case INFO: return info(option, payload);
            case GO: return info(option, payload);
            case STRUCTURED_REPLY: {
                Reply r = finalReply(option, "STRUCTURED_REPLY", payload.length > 0 ? OptionReplyType.ERR_INVALID : null);
                if (r.type == OptionReplyType.ACK.value) {
                    if (extended || structured) throw fail("S22: STRUCTURED_REPLY acknowledged twice or after extended headers");
                    structured = true;
                }
                return true;
            }
            case EXTENDED_HEADERS: {
                Reply r = finalReply(option, "EXTENDED_HEADERS", payload.length > 0 ? OptionReplyType.ERR_INVALID : null);
                if (r.type == OptionReplyType.ACK.value) {
                    if (extended) throw fail("EXTENDED_HEADERS acknowledged twice");
                    extended = true;
                }
                return true;
            }
            case LIST_META_CONTEXT:
            case SET_META_CONTEXT:
                metaContext(option, payload, type == OptionType.SET_META_CONTEXT);
                return true;
            default:
                throw fail("unhandled option " + type);
        }
    }

    /** One option reply as sent. */
    private static final class Reply {
        int type;
        byte[] payload;
    }

    private Reply reply(int option, String what) {
        ByteBuffer h = take(20, "an option reply header to " + what);
        if (h.getLong() != Magic.OPTION_REPLY) throw fail("bad option reply magic in the reply to " + what);
        int echoed = h.getInt();
        if (echoed != option) throw fail("S06: reply echoes option " + echoed + ", not " + option + " (" + what + ")");
        Reply r = new Reply();
        r.type = h.getInt();
        long length = Integer.toUnsignedLong(h.getInt());
        OptionReplyType t = OptionReplyType.of(r.type);
        if (t == null) throw fail("unknown reply type 0x" + Integer.toHexString(r.type) + " to " + what);
        if (length > 1 << 20) throw fail("option reply of " + length + " bytes to " + what);
        r.payload = new byte[(int) length];
        take((int) length, "an option reply payload").get(r.payload);
        if (t == OptionReplyType.ACK && length != 0) throw fail("ACK with " + length + " bytes of data to " + what);
        if (t.isError()) {
            if (length > MAX_STRING) throw fail("S46: error message of " + length + " bytes to " + what);
            if (!validString(r.payload)) throw fail("error message that is not valid UTF-8 without NUL, to " + what);
        }
        return r;
    }

    /**
     * Reads the replies of an option that allows no informational replies: exactly one, an error (of the type
     * given, when one is required) or, when {@code required} is null, an ACK or any error.
     */
    private Reply finalReply(int option, String what, OptionReplyType required) {
        Reply r = reply(option, what);
        OptionReplyType t = OptionReplyType.of(r.type);
        if (required != null && t != required) throw fail(what + ": expected " + required + ", got " + t);
        if (required == null && t != OptionReplyType.ACK && !t.isError()) throw fail(what + ": informational reply " + t);
        return r;
    }

    private void abortReply() {
        if (op < o.length) { // S08: an ACK, which the client may not wait for
            Reply r = reply(OptionType.ABORT.value, "ABORT");
            if (r.type != OptionReplyType.ACK.value) throw fail("ABORT answered with " + OptionReplyType.of(r.type));
        }
        expectEnd("after ABORT");
    }

    private void list(byte[] payload) {
        int opt = OptionType.LIST.value;
        if (payload.length > 0) {
            finalReply(opt, "LIST with data (C05)", OptionReplyType.ERR_INVALID);
            return;
        }
        Set<String> names = new HashSet<>();
        while (true) {
            Reply r = reply(opt, "LIST");
            if (r.type == OptionReplyType.ACK.value) break;
            if (r.type != OptionReplyType.SERVER.value) throw fail("LIST answered with " + OptionReplyType.of(r.type));
            ByteBuffer b = ByteBuffer.wrap(r.payload);
            if (r.payload.length < 4) throw fail("SERVER reply of " + r.payload.length + " bytes");
            long n = Integer.toUnsignedLong(b.getInt());
            if (n > r.payload.length - 4) throw fail("SERVER reply name length " + n + " past its end");
            names.add(new String(r.payload, 4, (int) n, StandardCharsets.UTF_8));
        }
        if (!names.equals(Set.copyOf(FuzzServer.NAMES))) throw fail("LIST named " + names);
    }

    // ---------------------------------------------------------------- INFO and GO

    private boolean info(int option, byte[] payload) {
        boolean go = option == OptionType.GO.value;
        String what = go ? "GO" : "INFO";
        ByteBuffer b = ByteBuffer.wrap(payload);
        String name = null;
        List<Integer> infos = new ArrayList<>();
        boolean malformed = false;
        if (payload.length < 6) {
            malformed = true;
        } else {
            long n = Integer.toUnsignedLong(b.getInt());
            if (n > payload.length - 6) {
                malformed = true;
            } else {
                byte[] raw = new byte[(int) n];
                b.get(raw);
                name = decodeString(raw);
                int count = Short.toUnsignedInt(b.getShort());
                if (b.remaining() != 2 * count) malformed = true;
                else for (int i = 0; i < count; i++) infos.add(Short.toUnsignedInt(b.getShort()));
            }
        }
        if (malformed) {
            finalReply(option, what + " with a malformed payload (S11)", OptionReplyType.ERR_INVALID);
            return true;
        }
        if (name == null || new HashSet<>(infos).size() != infos.size()) { // bad string (C09), or a repeat (C08)
            finalReply(option, what + " with an invalid name or a repeated request", OptionReplyType.ERR_INVALID);
            return true;
        }
        String target = FuzzServer.resolve(name);
        if (target == null) {
            finalReply(option, what + " for an unknown export (S19)", OptionReplyType.ERR_UNKNOWN);
            return true;
        }
        boolean sawExport = false;
        int flags = 0;
        while (true) {
            Reply r = reply(option, what);
            OptionReplyType t = OptionReplyType.of(r.type);
            if (t == OptionReplyType.ACK) break;
            if (t != OptionReplyType.INFO) throw fail(what + " for a known export answered with " + t);
            ByteBuffer p = ByteBuffer.wrap(r.payload);
            if (r.payload.length < 2) throw fail("INFO reply of " + r.payload.length + " bytes");
            int infoType = Short.toUnsignedInt(p.getShort());
            if (infoType == InfoType.EXPORT.value) {
                if (r.payload.length != 12) throw fail("INFO_EXPORT of " + r.payload.length + " bytes");
                long size = p.getLong();
                flags = Short.toUnsignedInt(p.getShort());
                checkExport(target, size, flags);
                sawExport = true;
            } else if (infoType == InfoType.BLOCK_SIZE.value) {
                if (r.payload.length != 14) throw fail("INFO_BLOCK_SIZE of " + r.payload.length + " bytes");
                if (p.getInt() != server.minimumBlock()) throw fail("INFO_BLOCK_SIZE minimum differs from the configuration");
                p.getInt();
                if (p.getInt() != server.maximumPayload()) throw fail("INFO_BLOCK_SIZE maximum differs");
            } else if (infoType == InfoType.NAME.value || infoType == InfoType.DESCRIPTION.value) {
                if (r.payload.length - 2 > MAX_STRING) throw fail("INFO string of " + (r.payload.length - 2) + " bytes");
                if (!infos.contains(infoType)) throw fail("S14: INFO type " + infoType + " sent unasked");
            } else {
                throw fail("INFO reply of unknown type " + infoType);
            }
        }
        if (!sawExport) throw fail("S12: " + what + " succeeded without NBD_INFO_EXPORT");
        if (!go) return true;
        startTransmission(target, flags);
        return false;
    }

    private void checkExport(String target, long size, int flags) {
        if (size != server.sizeOf(target)) throw fail("export size " + size + " for " + target);
        if (!TransmissionFlag.HAS_FLAGS.isSetIn(flags)) throw fail("transmission flags without HAS_FLAGS");
        if (TransmissionFlag.READ_ONLY.isSetIn(flags) != target.equals(FuzzServer.RO)) throw fail("READ_ONLY flag wrong");
        if (TransmissionFlag.SEND_DF.isSetIn(flags) && !structured && !extended) throw fail("S62: DF without structured replies");
    }

    private boolean exportName(byte[] payload) {
        String name = decodeString(payload);
        String target = name == null ? null : FuzzServer.resolve(name);
        if (extended || target == null) { // S05: no error reply exists for EXPORT_NAME
            expectEnd("EXPORT_NAME that cannot be served");
            return false;
        }
        ByteBuffer b = take(10, "the EXPORT_NAME reply");
        long size = b.getLong();
        int flags = Short.toUnsignedInt(b.getShort());
        checkExport(target, size, flags);
        if (!noZeroes) {
            ByteBuffer pad = take(124, "the EXPORT_NAME padding (S04)");
            while (pad.hasRemaining()) if (pad.get() != 0) throw fail("non-zero EXPORT_NAME padding");
        }
        startTransmission(target, flags);
        return false;
    }

    private void metaContext(int option, byte[] payload, boolean set) {
        String what = set ? "SET_META_CONTEXT" : "LIST_META_CONTEXT";
        if (set) {
            metaExport = null;
            metaContexts = Map.of();
        }
        if (set && !structured && !extended) {
            finalReply(option, what + " before structured replies (S35)", OptionReplyType.ERR_INVALID);
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(payload);
        String name = sized(b);
        List<String> queries = new ArrayList<>();
        boolean malformed = name == null || b.remaining() < 4;
        if (!malformed) {
            long count = Integer.toUnsignedLong(b.getInt());
            for (long i = 0; i < count && !malformed; i++) {
                String q = sized(b);
                if (q == null) malformed = true; else queries.add(q);
            }
            if (b.hasRemaining()) malformed = true;
        }
        if (malformed) {
            finalReply(option, what + " with a malformed payload (S11)", OptionReplyType.ERR_INVALID);
            return;
        }
        String target = FuzzServer.resolve(name);
        if (target == null) {
            finalReply(option, what + " for an unknown export", OptionReplyType.ERR_UNKNOWN);
            return;
        }
        for (String q : queries) {
            if (q.indexOf(':') <= 0) {
                finalReply(option, what + " with a query without a namespace (C13)", OptionReplyType.ERR_INVALID);
                return;
            }
        }
        Map<String, Integer> selected = new LinkedHashMap<>();
        List<String> offered = FuzzServer.contextsOf(target);
        while (true) {
            Reply r = reply(option, what);
            OptionReplyType t = OptionReplyType.of(r.type);
            if (t == OptionReplyType.ACK) break;
            if (t != OptionReplyType.META_CONTEXT) throw fail(what + " answered with " + t);
            if (r.payload.length < 5) throw fail("META_CONTEXT reply of " + r.payload.length + " bytes");
            int id = ByteBuffer.wrap(r.payload).getInt();
            String ctx = new String(r.payload, 4, r.payload.length - 4, StandardCharsets.UTF_8);
            if (!offered.contains(ctx)) throw fail(what + " named context " + ctx + " the export does not have");
            if (set) {
                if (!queries.contains(ctx)) throw fail("S34: SET selected " + ctx + ", which was not asked for");
                if (selected.containsValue(id) || selected.put(ctx, id) != null) throw fail("S36: context ids not unique");
            }
        }
        if (set) {
            metaExport = target;
            metaContexts = selected;
        }
    }

    // ---------------------------------------------------------------- transmission

    private void startTransmission(String target, int flags) {
        export = target;
        transmissionFlags = flags;
        Map<Integer, String> ids = new LinkedHashMap<>();
        if (target.equals(metaExport)) metaContexts.forEach((name, id) -> ids.put(id, name));
        contexts = ids;
        boolean bsPayload = TransmissionFlag.BLOCK_STATUS_PAYLOAD.isSetIn(flags);
        if (bsPayload != (extended && !contexts.isEmpty())) throw fail("S72: BLOCK_STATUS_PAYLOAD flag wrong");
        while (true) {
            int headerSize = extended ? 32 : 28;
            if (clientLeft() < headerSize) {
                expectEnd("the client closed" + (clientLeft() > 0 ? " inside a request header" : ""));
                return;
            }
            ByteBuffer h = ByteBuffer.wrap(c, cp, headerSize);
            int magic = h.getInt();
            int rflags = Short.toUnsignedInt(h.getShort());
            int type = Short.toUnsignedInt(h.getShort());
            long cookie = h.getLong();
            long offset = h.getLong();
            long length = extended ? h.getLong() : Integer.toUnsignedLong(h.getInt());
            cp += headerSize;
            requests++;
            allowance += 64 * 1024;
            if (magic != (extended ? Magic.EXTENDED_REQUEST : Magic.REQUEST)) {
                expectEnd("C18: bad request magic");
                return;
            }
            boolean payloadFlag = CommandFlag.PAYLOAD_LEN.isSetIn(rflags);
            // A WRITE carries its payload under extended headers even without PAYLOAD_LEN (C50: qemu 8.2+ omits the
            // flag and qemu's own server reads the payload by length, so a server must, or every qemu client breaks).
            long payloadLength = type == WRITE ? length : extended && payloadFlag ? length : 0;
            Req r = new Req(rflags, type, cookie, offset, length);
            if (Long.compareUnsigned(payloadLength, server.maximumPayload()) > 0) {
                if (extended || Long.compareUnsigned(payloadLength, DISCARDED_PAYLOAD) > 0
                        || clientLeft() < payloadLength) {
                    expectEnd("C28: a payload too large to accept, or the client closed inside it");
                    return;
                }
                cp += (int) payloadLength;
                replyTo(r, null, Verdict.INVALID);
                continue;
            }
            allowance += 2 * payloadLength; // the buffer is taken before the payload arrives
            if (clientLeft() < payloadLength) {
                expectEnd("the client closed inside a request payload");
                return;
            }
            byte[] payload = new byte[(int) payloadLength];
            System.arraycopy(c, cp, payload, 0, payload.length);
            cp += payload.length;
            if (type == DISC) {
                expectEnd("NBD_CMD_DISC");
                return;
            }
            replyTo(r, payload, judge(r, payload));
        }
    }

    private record Req(int flags, int type, long cookie, long offset, long length) {
        boolean has(CommandFlag f) { return f.isSetIn(flags); }
    }

    private enum Verdict { VALID, INVALID, UNSURE }

    /** Whether the spec lets the request succeed on this session (a memory device never fails otherwise). */
    private Verdict judge(Req r, byte[] payload) {
        int t = r.type();
        if (t > BLOCK_STATUS || t == DISC) return Verdict.INVALID;
        int allowed = CommandFlag.FUA.bit | (t == READ ? CommandFlag.DF.bit : 0)
                | (t == WRITE_ZEROES ? CommandFlag.NO_HOLE.bit | CommandFlag.FAST_ZERO.bit : 0)
                | (t == BLOCK_STATUS ? CommandFlag.REQ_ONE.bit : 0);
        boolean payloadFlag = r.has(CommandFlag.PAYLOAD_LEN);
        if ((r.flags() & ~(allowed | CommandFlag.PAYLOAD_LEN.bit)) != 0) return Verdict.INVALID;
        if (payloadFlag && !extended) return Verdict.INVALID;
        if (payloadFlag && t != WRITE) {
            if (t != BLOCK_STATUS || !TransmissionFlag.BLOCK_STATUS_PAYLOAD.isSetIn(transmissionFlags)) return Verdict.INVALID;
            return Verdict.UNSURE; // the payload form: its contents decide
        }
        if (r.has(CommandFlag.FAST_ZERO) && !TransmissionFlag.SEND_FAST_ZERO.isSetIn(transmissionFlags)) return Verdict.INVALID;
        if (r.has(CommandFlag.DF) && !TransmissionFlag.SEND_DF.isSetIn(transmissionFlags)) return Verdict.INVALID;
        boolean writing = t == WRITE || t == TRIM || t == WRITE_ZEROES;
        if (writing && export.equals(FuzzServer.RO)) return Verdict.INVALID;
        if (t == FLUSH) return r.offset() == 0 && r.length() == 0 ? Verdict.VALID : Verdict.INVALID;
        if (t == BLOCK_STATUS && r.length() == 0) return Verdict.INVALID;
        long size = server.sizeOf(export);
        long end = r.offset() + r.length();
        if (r.offset() < 0 || end < r.offset() || Long.compareUnsigned(end, size) > 0) return Verdict.INVALID;
        int min = server.minimumBlock();
        if (r.offset() % min != 0 || r.length() % min != 0) return Verdict.INVALID;
        if (t == READ && !structured && !extended && r.length() > server.maximumPayload()) return Verdict.INVALID;
        if (t == READ && r.has(CommandFlag.DF) && r.length() > server.maximumPayload()) return Verdict.INVALID;
        if (t == BLOCK_STATUS && contexts.isEmpty()) return Verdict.INVALID;
        return Verdict.VALID;
    }

    /** Which error values the spec allows for this request (EINVAL always). */
    private boolean plausible(Req r, int error) {
        int t = r.type();
        switch (error) {
            case EINVAL: return true;
            case EPERM: return (t == WRITE || t == TRIM || t == WRITE_ZEROES) && export.equals(FuzzServer.RO);
            case ENOSPC: return t == WRITE || t == WRITE_ZEROES;
            case EOVERFLOW: return t == READ && r.has(CommandFlag.DF);
            case ENOTSUP: return t == WRITE_ZEROES && r.has(CommandFlag.FAST_ZERO);
            default: return false;
        }
    }

    private void replyTo(Req r, byte[] payload, Verdict verdict) {
        long cap = server.maximumPayload() + (long) (8 << 20);
        long readLength = r.type() != READ ? 0 : Long.compareUnsigned(r.length(), cap) > 0 ? cap : r.length();
        allowance += 1024 * 1024 + 4 * readLength;
        String what = "the reply to request " + requests + " (type " + r.type() + ", flags 0x"
                + Integer.toHexString(r.flags()) + ", offset " + Long.toUnsignedString(r.offset()) + ", length "
                + Long.toUnsignedString(r.length()) + ")";
        int error;
        byte[] data = null;
        Map<Integer, List<long[]>> status = new LinkedHashMap<>();
        if (!structured && !extended) {
            ByteBuffer h = take(16, what);
            if (h.getInt() != Magic.SIMPLE_REPLY) throw fail("S40: not a simple reply: " + what);
            error = h.getInt();
            if (h.getLong() != r.cookie()) throw fail("S39: cookie not echoed in " + what);
            if (error == 0 && r.type() == READ) {
                if (r.length() > server.maximumPayload()) throw fail("a simple READ reply larger than the maximum payload");
                data = new byte[(int) r.length()];
                take(data.length, what + " data").get(data);
            }
        } else {
            Chunked ch = chunks(r, what);
            error = ch.error;
            data = ch.data;
            status = ch.status;
        }
        if (error == EIO) throw fail("EIO (an internal server error) in " + what);
        if (error != 0 && !plausible(r, error)) throw fail("error " + error + " is not one the spec allows for " + what);
        if (verdict == Verdict.VALID && error != 0) throw fail("a valid request failed with error " + error + ": " + what);
        if (verdict == Verdict.INVALID && error == 0) throw fail("an invalid request succeeded: " + what);
        if (error != 0) return;
        apply(r, payload, data, status, what);
    }

    private static final class Chunked {
        int error;
        byte[] data;
        Map<Integer, List<long[]>> status = new LinkedHashMap<>();
    }

    private Chunked chunks(Req r, String what) {
        Chunked out = new Chunked();
        boolean read = r.type() == READ;
        TreeMap<Long, Long> covered = new TreeMap<>();
        byte[] data = read && r.length() >= 0 && r.length() <= FuzzServer.DISK_SIZE ? new byte[(int) r.length()] : null;
        int content = 0;
        int n = 0;
        while (true) {
            ByteBuffer h = take(extended ? 32 : 20, what);
            int magic = h.getInt();
            if (magic != (extended ? Magic.EXTENDED_REPLY : Magic.STRUCTURED_REPLY)) {
                throw fail("S71/S40: chunk magic 0x" + Integer.toHexString(magic) + " in " + what);
            }
            int flags = Short.toUnsignedInt(h.getShort());
            int type = Short.toUnsignedInt(h.getShort());
            if (h.getLong() != r.cookie()) throw fail("S39: cookie not echoed in " + what);
            long length;
            if (extended) {
                if (h.getLong() != r.offset()) throw fail("S71: request offset not echoed in " + what);
                length = h.getLong();
            } else {
                length = Integer.toUnsignedLong(h.getInt());
            }
            n++;
            String where = "chunk " + n + " (type " + type + ") of " + what;
            if ((flags & ~ReplyType.FLAG_DONE) != 0) throw fail("S44: unknown reply flags in " + where);
            boolean done = (flags & ReplyType.FLAG_DONE) != 0;
            if (length < 0 || length > server.maximumPayload() + 64L) throw fail("S45: chunk of " + length + " bytes: " + where);
            need((int) length, where);
            ByteBuffer b = ByteBuffer.wrap(o, op, (int) length).slice();
            op += (int) length;
            if (type == ReplyType.ERROR.value || type == ReplyType.ERROR_OFFSET.value) {
                int fixed = type == ReplyType.ERROR.value ? 6 : 14;
                if (length < fixed) throw fail("S87: short error chunk: " + where);
                int e = b.getInt();
                int msg = Short.toUnsignedInt(b.getShort());
                if (e == 0 || msg > length - fixed || msg > MAX_STRING) throw fail("S46: malformed error chunk: " + where);
                if (type == ReplyType.ERROR_OFFSET.value) {
                    if (!read) throw fail("ERROR_OFFSET for a non-READ: " + where);
                    b.position(6 + msg);
                    long at = b.getLong();
                    if (Long.compareUnsigned(at - r.offset(), r.length()) >= 0) throw fail("S46: error offset: " + where);
                }
                if (out.error == 0) out.error = e;
            } else if (type == ReplyType.NONE.value) {
                if (length != 0 || !done) throw fail("S87: NONE chunk with data or without DONE: " + where);
            } else if (type == ReplyType.OFFSET_DATA.value || type == ReplyType.OFFSET_HOLE.value) {
                if (!read) throw fail("S86: content chunk for a non-READ: " + where);
                long at = b.getLong();
                long len;
                if (type == ReplyType.OFFSET_DATA.value) {
                    len = length - 8;
                    if (len <= 0) throw fail("S87: empty OFFSET_DATA: " + where);
                } else {
                    if (length != 12) throw fail("S87: OFFSET_HOLE length: " + where);
                    len = Integer.toUnsignedLong(b.getInt());
                    if (len == 0) throw fail("S48: empty hole: " + where);
                }
                if (Long.compareUnsigned(at, r.offset()) < 0 || Long.compareUnsigned(at - r.offset() + len, r.length()) > 0) {
                    throw fail("S48: chunk outside the request: " + where);
                }
                Map.Entry<Long, Long> before = covered.floorEntry(at);
                Map.Entry<Long, Long> after = covered.ceilingEntry(at);
                if ((before != null && before.getValue() > at) || (after != null && after.getKey() < at + len)) {
                    throw fail("S48: overlapping content chunks: " + where);
                }
                covered.put(at, at + len);
                content++;
                if (data != null && type == ReplyType.OFFSET_DATA.value) b.get(data, (int) (at - r.offset()), (int) len);
            } else if (type == ReplyType.BLOCK_STATUS.value || type == ReplyType.BLOCK_STATUS_EXT.value) {
                if (r.type() != BLOCK_STATUS) throw fail("S86: status chunk for a non-BLOCK_STATUS: " + where);
                if ((type == ReplyType.BLOCK_STATUS_EXT.value) != extended) throw fail("S71: status chunk type: " + where);
                int id = b.getInt();
                List<long[]> ds = new ArrayList<>();
                if (extended) {
                    if (length < 24 || (length - 8) % 16 != 0) throw fail("S87: BLOCK_STATUS_EXT length: " + where);
                    if (Integer.toUnsignedLong(b.getInt()) != (length - 8) / 16) throw fail("S71: descriptor count: " + where);
                    while (b.hasRemaining()) {
                        long len = b.getLong();
                        long st = b.getLong();
                        if (st >>> 32 != 0) throw fail("S71: status above 32 bits for a 32-bit context: " + where);
                        ds.add(new long[] {len, st});
                    }
                } else {
                    if (length < 12 || (length - 4) % 8 != 0) throw fail("S87: BLOCK_STATUS length: " + where);
                    while (b.hasRemaining()) ds.add(new long[] {Integer.toUnsignedLong(b.getInt()), Integer.toUnsignedLong(b.getInt())});
                }
                if (!contexts.containsKey(id)) throw fail("S63: status for context id " + id + ", not selected: " + where);
                if (out.status.put(id, ds) != null) throw fail("S63: two status chunks for context " + id + ": " + where);
            } else {
                throw fail("S86: unknown chunk type: " + where);
            }
            if (done) break;
        }
        if (out.error != 0) return out;
        if (read) {
            long pos = r.offset();
            for (Map.Entry<Long, Long> e : covered.entrySet()) {
                if (e.getKey() != pos) throw fail("S48: gap in the READ reply at " + pos + ": " + what);
                pos = e.getValue();
            }
            if (pos != r.offset() + r.length()) throw fail("S48: READ reply does not reach the end: " + what);
            if (r.has(CommandFlag.DF) && content > 1) throw fail("S50: DF read in " + content + " chunks: " + what);
            out.data = data;
        } else if (r.type() == BLOCK_STATUS && r.length() != 0) {
            if (!r.has(CommandFlag.PAYLOAD_LEN) && !out.status.keySet().equals(contexts.keySet())) {
                throw fail("S63: status chunks for " + out.status.keySet() + ", selected " + contexts.keySet() + ": " + what);
            }
        } else if (n != 1) {
            throw fail("a successful " + r.type() + " answered with " + n + " chunks: " + what);
        }
        return out;
    }

    /** Updates the data model with a success and checks what a success returned. */
    private void apply(Req r, byte[] payload, byte[] data, Map<Integer, List<long[]>> status, String what) {
        boolean modelled = export.equals(FuzzServer.DISK);
        switch (r.type()) {
            case WRITE:
                if (modelled && r.length() > 0) {
                    disk.write(r.offset(), payload);
                    disk.markDirty(r.offset(), r.length());
                }
                break;
            case WRITE_ZEROES:
                if (modelled && r.length() > 0) {
                    disk.zero(r.offset(), r.length());
                    disk.markDirty(r.offset(), r.length());
                }
                break;
            case TRIM:
                if (modelled && r.length() > 0) {
                    disk.trim(r.offset(), r.length());
                    disk.markDirty(r.offset(), r.length());
                }
                break;
            case READ:
                if (data == null) break;
                if (modelled) disk.checkRead(r.offset(), data, what);
                else if (export.equals(FuzzServer.RO)) {
                    for (byte x : data) if (x != 0) throw fail("the read-only export, never written, read non-zero: " + what);
                }
                break;
            case BLOCK_STATUS:
                checkStatus(r, status, what);
                break;
            default:
                break;
        }
    }

    private void checkStatus(Req r, Map<Integer, List<long[]>> status, String what) {
        long length = r.has(CommandFlag.PAYLOAD_LEN) ? Long.MAX_VALUE : r.length(); // payload form: effect length unknown here
        long size = server.sizeOf(export);
        for (Map.Entry<Integer, List<long[]>> e : status.entrySet()) {
            String ctx = contexts.get(e.getKey());
            List<long[]> ds = e.getValue();
            if (r.has(CommandFlag.REQ_ONE) && ds.size() != 1) throw fail("S65: REQ_ONE answered with " + ds.size() + ": " + what);
            long pos = r.offset();
            for (long[] d : ds) {
                if (d[0] == 0) throw fail("S64: zero-length descriptor: " + what);
                if (Long.compareUnsigned(pos - r.offset(), length) >= 0) throw fail("S66: a descriptor starts past the request: " + what);
                long end = pos + d[0];
                if (end < pos || Long.compareUnsigned(end, size) > 0) throw fail("descriptor past the export end: " + what);
                if (ctx.equals(MetaContext.BASE_ALLOCATION)) {
                    if ((d[1] & ~3L) != 0) throw fail("reserved base:allocation bits: " + what);
                    if ((d[1] & MetaContext.STATE_ZERO) != 0) {
                        if (export.equals(FuzzServer.DISK)) disk.checkZero(pos, end, what);
                    }
                } else {
                    if ((d[1] & ~1L) != 0) throw fail("reserved dirty bitmap bits: " + what);
                    disk.checkDirty(pos, end, d[1] != 0, what);
                }
                pos = end;
            }
        }
    }

    // ---------------------------------------------------------------- strings

    private static String sized(ByteBuffer b) {
        if (b.remaining() < 4) return null;
        long n = Integer.toUnsignedLong(b.getInt());
        if (n > b.remaining()) return null;
        byte[] raw = new byte[(int) n];
        b.get(raw);
        return decodeString(raw);
    }

    /** The spec's string rules: at most 4096 bytes of UTF-8 without NUL; null when broken. */
    static String decodeString(byte[] raw) {
        if (!validString(raw)) return null;
        return new String(raw, StandardCharsets.UTF_8);
    }

    static boolean validString(byte[] raw) {
        if (raw.length > MAX_STRING) return false;
        for (byte x : raw) if (x == 0) return false;
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
