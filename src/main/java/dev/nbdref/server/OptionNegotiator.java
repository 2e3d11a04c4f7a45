package dev.nbdref.server;

import dev.nbdref.conformance.Phase;
import dev.nbdref.spec.HandshakeFlag;
import dev.nbdref.spec.InfoType;
import dev.nbdref.spec.OptionReplyType;
import dev.nbdref.spec.OptionType;
import dev.nbdref.wire.ExportNameReply;
import dev.nbdref.wire.Greeting;
import dev.nbdref.wire.InfoBlock;
import dev.nbdref.wire.InfoRequest;
import dev.nbdref.wire.MessageSummary;
import dev.nbdref.wire.MetaContextRequest;
import dev.nbdref.wire.OptionHeader;
import dev.nbdref.wire.OptionReply;
import dev.nbdref.wire.WireFormatException;
import dev.nbdref.wire.WireStrings;
import dev.nbdref.tls.TlsMode;
import dev.nbdref.tls.TlsSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

/**
 * The handshake and option phase of one connection (spec "Fixed newstyle negotiation" and "Option
 * types"): sends the greeting, checks the client flags, then answers options until GO or EXPORT_NAME
 * selects an export, or the client aborts.
 */
final class OptionNegotiator {
    /** Options longer than this are not parsed: they are skipped and answered ERR_TOO_BIG. */
    static final int MAX_PARSED_OPTION = 1 << 20;
    /** Options longer than this are treated as a denial of service (qemu draws the same line). */
    static final long MAX_SKIPPED_OPTION = 32L << 20;
    /** A client still haggling after this many options is cut off. */
    static final int MAX_OPTIONS = 4096;

    /** The first byte of every TLS handshake record (the ClientHello starts with one). */
    private static final int TLS_HANDSHAKE_RECORD = 0x16;
    private static final Logger log = LoggerFactory.getLogger(OptionNegotiator.class);

    private final ConnectionContext ctx;
    private final BufferBudget budget;
    private final ServerBehavior behavior;
    private final int serverFlags;
    private NegotiationState state;
    private long optionStart;

    OptionNegotiator(ConnectionContext ctx, BufferBudget budget) {
        this.ctx = ctx;
        this.budget = budget;
        this.behavior = ctx.config().behavior();
        this.serverFlags = HandshakeFlag.FIXED_NEWSTYLE.bit | (behavior.offerNoZeroes() ? HandshakeFlag.NO_ZEROES.bit : 0);
    }

    /** Runs negotiation; empty when the client ended it without choosing an export. */
    Optional<Session> run() throws IOException, HardDisconnect, InterruptedException {
        ctx.out().sendRaw(new Greeting(serverFlags).encode()); // S01, S02
        ctx.recorder().transcript(Phase.HANDSHAKE, false, -1,
                String.format("greeting, handshake flags 0x%04x", serverFlags));
        if (behavior.fault().is(ServerBehavior.Fault.Kind.CLOSE_AFTER_GREETING)) {
            throw new HardDisconnect("injected fault: close after the greeting");
        }
        int clientFlags = ByteBuffer.wrap(ctx.in().readExactly(4)).getInt();
        ctx.recorder().transcript(Phase.HANDSHAKE, true, 0, String.format("client flags 0x%08x", clientFlags));
        checkClientFlags(clientFlags);
        state = new NegotiationState(clientFlags);
        while (true) {
            if (!ctx.in().awaitNextMessage()) {
                violation("C17", "the client closed the connection during option haggling without NBD_OPT_ABORT",
                        null, "connection closed");
                ctx.recorder().ended("client closed the connection during negotiation");
                return Optional.empty();
            }
            Optional<Session> done = nextOption();
            if (done == null) {
                ctx.recorder().ended("NBD_OPT_ABORT");
                return Optional.empty();
            }
            if (done.isPresent()) return done;
        }
    }

    private void checkClientFlags(int flags) throws HardDisconnect {
        int unknown = flags & ~HandshakeFlag.knownMask();
        int unoffered = flags & ~serverFlags;
        if (unknown != 0 || unoffered != 0) { // S03
            violation("C01", String.format("client flags 0x%08x set bits the server did not offer", flags),
                    ByteBuffer.allocate(4).putInt(flags).array(), "hard disconnect");
            throw new HardDisconnect("unknown client flags");
        }
    }

    /** One option: a session to start, empty to keep haggling, null when the client aborted. */
    private Optional<Session> nextOption() throws IOException, HardDisconnect, InterruptedException {
        optionStart = ctx.in().position();
        byte[] headerBytes = ctx.in().readExactly(OptionHeader.SIZE);
        OptionHeader header = OptionHeader.decode(headerBytes);
        state.optionsSeen++;
        if (!header.hasValidMagic()) {
            violation("C03", "option header does not start with IHAVEOPT", headerBytes, "hard disconnect");
            throw new HardDisconnect("bad option magic");
        }
        if (state.optionsSeen > MAX_OPTIONS) {
            violation("C39", "more than " + MAX_OPTIONS + " options", headerBytes, "hard disconnect");
            throw new HardDisconnect("too many options");
        }
        int option = header.option();
        if (behavior.fault().is(ServerBehavior.Fault.Kind.CLOSE_IN_OPTIONS) && state.optionsSeen > behavior.fault().after()) {
            throw new HardDisconnect("injected fault: close on option " + state.optionsSeen);
        }
        if (header.length() > MAX_PARSED_OPTION) return oversized(header, headerBytes);
        int length = (int) header.length();
        budget.reserve(length); // a parsed option counts against the buffer budget, as a request payload does
        try {
            return parsed(option, headerBytes, ctx.in().readExactly(length));
        } finally {
            budget.unreserve(length);
        }
    }

    /** An option read whole: checked against the negotiation state, then answered. */
    private Optional<Session> parsed(int option, byte[] headerBytes, byte[] payload) throws IOException, HardDisconnect {
        ctx.recorder().transcript(Phase.OPTIONS, true, optionStart, MessageSummary.option(option, payload));
        if (!state.fixedNewstyle() && option != OptionType.EXPORT_NAME.value) {
            violation("C02", "a client without NBD_FLAG_C_FIXED_NEWSTYLE sent " + OptionType.nameOf(option),
                    headerBytes, "hard disconnect: it cannot parse option replies");
            throw new HardDisconnect("option from a non-fixed-newstyle client");
        }
        if (ctx.isShuttingDown() && option != OptionType.ABORT.value) return refuseForShutdown(option, headerBytes);
        if (mustRefuseBeforeTls(option)) { // S27: FORCEDTLS answers everything but STARTTLS and ABORT this way
            if (option == OptionType.EXPORT_NAME.value) throw new HardDisconnect("EXPORT_NAME before TLS (FORCEDTLS)");
            reply(OptionReply.error(option, OptionReplyType.ERR_TLS_REQD, "this server requires TLS: send STARTTLS"));
            return Optional.empty();
        }
        if (pipelined(option)) {
            violation("C04", OptionType.nameOf(option) + " was followed by more data before the server replied",
                    headerBytes, "answered in order");
        }
        return dispatch(option, payload, headerBytes);
    }

    /**
     * C04: bytes already waiting after an option, before its final reply was sent, mean the client did not wait
     * for it. GO and EXPORT_NAME are left out: a client may send its first request right behind them.
     */
    private boolean pipelined(int option) throws IOException {
        return option != OptionType.GO.value && option != OptionType.EXPORT_NAME.value
                && option != OptionType.ABORT.value && option != OptionType.STARTTLS.value
                && ctx.in().available() > 0;
    }

    private boolean mustRefuseBeforeTls(int option) {
        return ctx.config().tlsMode() == TlsMode.REQUIRE && !state.tlsActive
                && option != OptionType.STARTTLS.value && option != OptionType.ABORT.value;
    }

    /** An export the client may not see or use yet (SELECTIVETLS tls-only before TLS): as good as unknown. */
    private Optional<Export> visible(String name) {
        return ctx.exports().find(name).filter(e -> state.tlsActive || !ctx.config().needsTls(e));
    }

    /** An option too long to parse: skipped, then answered by kind (ABORT still ends politely, S08). */
    private Optional<Session> oversized(OptionHeader header, byte[] headerBytes) throws IOException, HardDisconnect {
        if (header.option() == OptionType.EXPORT_NAME.value || !state.fixedNewstyle()) {
            // Neither EXPORT_NAME nor a legacy client can receive an option reply, so there is no error to send.
            boolean legacyMisuse = header.option() != OptionType.EXPORT_NAME.value;
            violation(legacyMisuse ? "C02" : "C09", legacyMisuse
                    ? "a client without NBD_FLAG_C_FIXED_NEWSTYLE sent " + OptionType.nameOf(header.option())
                    : "EXPORT_NAME of " + header.length() + " bytes, over the 4096-byte name limit",
                    headerBytes, "hard disconnect (no error reply is possible)");
            throw new HardDisconnect("oversized export name");
        }
        if (header.length() > MAX_SKIPPED_OPTION) {
            violation("C38", "option length " + header.length() + " is beyond any sane option", headerBytes,
                    "hard disconnect (treated as denial of service)");
            throw new HardDisconnect("oversized option");
        }
        ctx.in().skip(header.length());
        if (header.option() == OptionType.ABORT.value) {
            abort(new byte[1], headerBytes); // the data was skipped; abort() only needs to know there was some
            return null;
        }
        if (ctx.isShuttingDown()) return refuseForShutdown(header.option(), headerBytes);
        reply(OptionReply.error(header.option(), OptionReplyType.ERR_TOO_BIG,
                "option of " + header.length() + " bytes is larger than this server parses"));
        return Optional.empty();
    }

    /** S10: ERR_SHUTDOWN; C16: a client told so must end the session, not try another option. */
    private Optional<Session> refuseForShutdown(int option, byte[] header) throws IOException {
        if (state.shutdownAnnounced) {
            violation("C16", OptionType.nameOf(option) + " after the server answered ERR_SHUTDOWN", header,
                    "ERR_SHUTDOWN again");
        }
        state.shutdownAnnounced = true;
        reply(OptionReply.error(option, OptionReplyType.ERR_SHUTDOWN, "server is shutting down"));
        return Optional.empty();
    }

    private Optional<Session> dispatch(int option, byte[] payload, byte[] header) throws IOException, HardDisconnect {
        OptionType type = OptionType.of(option);
        if (type == null) return unsupported(option, "unknown option"); // S07
        if (!offered(type)) return unsupported(option, "not offered by this server's profile");
        switch (type) {
            case EXPORT_NAME: return Optional.of(exportName(payload));
            case ABORT: abort(payload, header); return null;
            case LIST: list(payload, header); return Optional.empty();
            case STARTTLS: startTls(payload, header); return Optional.empty();
            case INFO: info(payload, header, false); return Optional.empty();
            case GO: return info(payload, header, true);
            case STRUCTURED_REPLY: structuredReply(payload, header); return Optional.empty();
            case LIST_META_CONTEXT: listMetaContext(payload, header); return Optional.empty();
            case SET_META_CONTEXT: setMetaContext(payload, header); return Optional.empty();
            case EXTENDED_HEADERS: extendedHeaders(payload, header); return Optional.empty();
            default: return unsupported(option, "not supported by this server");
        }
    }

    /** Options a profile may withhold, as a server without those extensions would (S07). */
    private boolean offered(OptionType type) {
        switch (type) {
            case STRUCTURED_REPLY: return behavior.structuredReplies();
            case EXTENDED_HEADERS: return behavior.extendedHeaders();
            case LIST_META_CONTEXT: case SET_META_CONTEXT: return behavior.metaContexts();
            default: return true;
        }
    }

    private Optional<Session> unsupported(int option, String why) throws IOException {
        reply(OptionReply.error(option, OptionReplyType.ERR_UNSUP, OptionType.nameOf(option) + ": " + why));
        return Optional.empty();
    }

    // EXPORT_NAME: no error reply exists, so an unknown name ends the connection (S05).
    private Session exportName(byte[] payload) throws IOException, HardDisconnect {
        if (state.extendedHeaders) { // the framing it would enter is undefined, and it cannot be refused
            violation("C15", "NBD_OPT_EXPORT_NAME after extended headers were negotiated", payload,
                    "hard disconnect (EXPORT_NAME has no error reply)");
            throw new HardDisconnect("EXPORT_NAME after extended headers");
        }
        String name;
        try {
            name = WireStrings.decode(payload, "export name");
        } catch (WireFormatException e) {
            violation(e.requirementId(), e.getMessage(), payload, "hard disconnect (EXPORT_NAME has no error reply)");
            throw new HardDisconnect(e.getMessage());
        }
        Export export = visible(name) // S05, S28: no error reply exists, so unknown or TLS-only ends the session
                .orElseThrow(() -> new HardDisconnect("EXPORT_NAME for unknown or TLS-only export \"" + name + "\""));
        Session session = session(export, false);
        ctx.out().sendRaw(new ExportNameReply(export.size(), session.transmissionFlags(), state.noZeroes()).encode());
        ctx.recorder().transcript(Phase.OPTIONS, false, -1, String.format("export size=%d flags=0x%x, %s", export.size(),
                session.transmissionFlags(), state.noZeroes() ? "no padding (NO_ZEROES)" : "124 bytes of padding"));
        return session; // S04: padding omitted only when the client echoed NO_ZEROES
    }

    private void abort(byte[] payload, byte[] header) throws IOException {
        if (payload.length > 0) {
            violation("C06", "NBD_OPT_ABORT carried " + payload.length + " bytes of data", header, "ignored");
        }
        try {
            reply(OptionReply.ack(OptionType.ABORT.value)); // S08
        } catch (IOException e) {
            // The client may close before reading the ACK; the spec allows that.
        }
    }

    private void list(byte[] payload, byte[] header) throws IOException {
        if (payload.length > 0) {
            violation("C05", "NBD_OPT_LIST carried " + payload.length + " bytes of data", header, "ERR_INVALID");
            reply(OptionReply.error(OptionType.LIST.value, OptionReplyType.ERR_INVALID, "LIST takes no data"));
            return;
        }
        for (Export e : ctx.exports().all()) {
            if (!state.tlsActive && ctx.config().needsTls(e)) continue; // TLS-only exports stay hidden until TLS
            reply(OptionReply.server(OptionType.LIST.value, e.name(), e.description()));
        }
        reply(OptionReply.ack(OptionType.LIST.value));
    }

    private void startTls(byte[] payload, byte[] header) throws IOException, HardDisconnect {
        if (payload.length > 0) { // S21
            violation("C05", "NBD_OPT_STARTTLS carried " + payload.length + " bytes of data", header, "ERR_INVALID");
            reply(OptionReply.error(OptionType.STARTTLS.value, OptionReplyType.ERR_INVALID, "STARTTLS takes no data"));
            return;
        }
        int opt = OptionType.STARTTLS.value;
        if (ctx.config().tlsMode() == TlsMode.OFF) { // S24: NOTLS refuses, and never says TLS_REQD
            reply(OptionReply.error(opt, OptionReplyType.ERR_POLICY, "TLS is not configured on this server"));
            return;
        }
        if (state.tlsActive) { // S25
            violation("C10", "NBD_OPT_STARTTLS after TLS is already up", header, "ERR_INVALID");
            reply(OptionReply.error(opt, OptionReplyType.ERR_INVALID, "TLS is already active"));
            return;
        }
        reply(OptionReply.ack(opt));
        upgrade(header);
    }

    /** S26: after the ACK everything is TLS; a failed handshake ends the session. S31: old state is dropped. */
    private void upgrade(byte[] header) throws IOException, HardDisconnect {
        int first = ctx.in().peek();
        if (first >= 0 && first != TLS_HANDSHAKE_RECORD) {
            violation("C11", String.format("after the STARTTLS ACK the client sent 0x%02x, not a TLS handshake record",
                    first), header, "hard disconnect");
            throw new HardDisconnect("no TLS ClientHello after STARTTLS");
        }
        TlsSession tls;
        try {
            tls = ctx.config().tls().handshake(ctx.in().current(), ctx.socket().getOutputStream(),
                    ctx.in().tlsRecords()); // the request timeout then starts with a record's first raw byte
        } catch (IOException e) {
            throw new HardDisconnect("TLS handshake failed: " + e.getMessage());
        }
        ctx.in().replace(tls.in());
        ctx.out().replace(tls.out());
        state = state.afterTls();
        ctx.recorder().transcript(Phase.OPTIONS, false, -1, "TLS handshake done: " + tls.protocol() + " "
                + tls.cipherSuite() + (tls.peerDn() != null ? ", client " + tls.peerDn() : "")
                + (tls.pskIdentity() != null ? ", PSK identity " + tls.pskIdentity() : ""));
        log.info("[{}] TLS up: {} {}{}{}", ctx.id(), tls.protocol(), tls.cipherSuite(),
                tls.peerDn() != null ? ", client " + tls.peerDn() : "",
                tls.pskIdentity() != null ? ", PSK identity " + tls.pskIdentity() : "");
    }

    private void structuredReply(byte[] payload, byte[] header) throws IOException {
        int opt = OptionType.STRUCTURED_REPLY.value;
        if (payload.length > 0) { // S21
            violation("C05", "NBD_OPT_STRUCTURED_REPLY carried " + payload.length + " bytes of data", header,
                    "ERR_INVALID");
            reply(OptionReply.error(opt, OptionReplyType.ERR_INVALID, "STRUCTURED_REPLY takes no data"));
        } else if (state.extendedHeaders) { // extended headers cannot be downgraded to structured replies
            reply(OptionReply.error(opt, OptionReplyType.ERR_EXT_HEADER_REQD,
                    "extended headers are negotiated; structured replies would be a downgrade"));
        } else if (state.structuredReplies) { // S22: a repeat changes nothing and is refused, as qemu and nbdkit do
            violation("C44", "NBD_OPT_STRUCTURED_REPLY sent twice", header, "ERR_INVALID; still negotiated");
            reply(OptionReply.error(opt, OptionReplyType.ERR_INVALID, "structured replies are already negotiated"));
        } else {
            state.structuredReplies = true;
            reply(OptionReply.ack(opt));
        }
    }

    /** NBD_OPT_EXTENDED_HEADERS: 32-byte headers both ways from GO on (S71); implies structured replies. */
    private void extendedHeaders(byte[] payload, byte[] header) throws IOException {
        int opt = OptionType.EXTENDED_HEADERS.value;
        if (payload.length > 0) { // S21
            violation("C05", "NBD_OPT_EXTENDED_HEADERS carried " + payload.length + " bytes of data", header,
                    "ERR_INVALID");
            reply(OptionReply.error(opt, OptionReplyType.ERR_INVALID, "EXTENDED_HEADERS takes no data"));
        } else if (state.extendedHeaders) {
            violation("C44", "NBD_OPT_EXTENDED_HEADERS sent twice", header, "ERR_INVALID; still negotiated");
            reply(OptionReply.error(opt, OptionReplyType.ERR_INVALID, "extended headers are already negotiated"));
        } else {
            state.extendedHeaders = true;
            reply(OptionReply.ack(opt));
        }
    }

    private Optional<Session> info(byte[] payload, byte[] header, boolean go) throws IOException {
        int opt = go ? OptionType.GO.value : OptionType.INFO.value;
        InfoRequest request;
        try {
            request = InfoRequest.decode(payload);
        } catch (WireFormatException e) { // S11
            violation(e.requirementId(), e.getMessage(), header, "ERR_INVALID");
            reply(OptionReply.error(opt, OptionReplyType.ERR_INVALID, e.getMessage()));
            return Optional.empty();
        }
        if (request.firstDuplicate() >= 0) {
            String detail = "information request " + request.firstDuplicate() + " listed twice";
            violation("C08", detail, header, "ERR_INVALID");
            reply(OptionReply.error(opt, OptionReplyType.ERR_INVALID, detail));
            return Optional.empty();
        }
        Optional<Export> known = ctx.exports().find(request.exportName());
        if (known.isPresent() && !state.tlsActive && ctx.config().needsTls(known.get())) { // S28: and no REP_INFO
            reply(OptionReply.error(opt, OptionReplyType.ERR_TLS_REQD,
                    "export \"" + WireStrings.abbreviate(request.exportName(), 80) + "\" requires TLS"));
            return Optional.empty();
        }
        Optional<Export> found = known;
        if (found.isEmpty()) { // S19
            reply(OptionReply.error(opt, OptionReplyType.ERR_UNKNOWN,
                    "no export named \"" + WireStrings.abbreviate(request.exportName(), 80) + "\""));
            return Optional.empty();
        }
        boolean wantsBlockSize = request.infoTypes().contains(InfoType.BLOCK_SIZE.value);
        Session session = session(found.get(), go && wantsBlockSize);
        for (InfoBlock block : infoBlocks(session, request, wantsBlockSize)) reply(OptionReply.info(opt, block));
        reply(OptionReply.ack(opt));
        return go ? Optional.of(session) : Optional.empty();
    }

    /**
     * The information sent for INFO and GO: EXPORT always (S12), NAME and DESCRIPTION when asked, and
     * BLOCK_SIZE when asked or when the constraints differ from the defaults a client would assume (S15).
     * Unknown requests are ignored (S13). The same request yields the same answer (S18).
     */
    private List<InfoBlock> infoBlocks(Session s, InfoRequest request, boolean wantsBlockSize) {
        List<InfoBlock> blocks = new java.util.ArrayList<>();
        blocks.add(new InfoBlock.Export(s.export().size(), s.transmissionFlags()));
        if (request.infoTypes().contains(InfoType.NAME.value)) blocks.add(new InfoBlock.Name(s.export().name()));
        String description = s.export().description();
        if (request.infoTypes().contains(InfoType.DESCRIPTION.value) && description != null && !description.isEmpty()) {
            blocks.add(new InfoBlock.Description(description));
        }
        if (wantsBlockSize || !s.sizes().isDefault()) {
            SizeConstraints c = s.sizes();
            blocks.add(new InfoBlock.BlockSize(c.minimum(), c.preferred(), c.maximumPayload()));
        }
        return blocks;
    }

    private void listMetaContext(byte[] payload, byte[] header) throws IOException {
        int opt = OptionType.LIST_META_CONTEXT.value;
        if (!state.chunkedReplies()) { // only a SHOULD NOT: the listing is still useful to the client
            violation("C48", "NBD_OPT_LIST_META_CONTEXT before structured replies", header, "answered normally");
        }
        MetaContextRequest request = decodeMeta(opt, payload, header);
        if (request == null) return;
        Optional<Export> export = findForMeta(opt, request);
        if (export.isEmpty()) return;
        try {
            for (String name : MetaContextSelection.list(export.get(), request.queries())) {
                reply(OptionReply.metaContext(opt, 0, name)); // the id of a LIST reply is reserved: 0
            }
            reply(OptionReply.ack(opt));
        } catch (MetaContextSelection.BadQueryException e) {
            badQuery(opt, e, header);
        }
    }

    private void setMetaContext(byte[] payload, byte[] header) throws IOException {
        int opt = OptionType.SET_META_CONTEXT.value;
        state.clearMetaContexts(); // a SET replaces the selection even when it fails
        if (!state.chunkedReplies()) { // S35
            violation("C12", "NBD_OPT_SET_META_CONTEXT before structured replies", header, "ERR_INVALID");
            reply(OptionReply.error(opt, OptionReplyType.ERR_INVALID, "negotiate structured replies first"));
            return;
        }
        MetaContextRequest request = decodeMeta(opt, payload, header);
        if (request == null) return;
        Optional<Export> export = findForMeta(opt, request);
        if (export.isEmpty()) return;
        try {
            List<MetaContextSelection.Selected> selected = MetaContextSelection.select(export.get(), request.queries());
            for (MetaContextSelection.Selected s : selected) reply(OptionReply.metaContext(opt, s.id(), s.name()));
            reply(OptionReply.ack(opt));
            state.metaContextExport = request.exportName();
            state.metaContexts = selected;
        } catch (MetaContextSelection.BadQueryException e) {
            badQuery(opt, e, header);
        }
    }

    private MetaContextRequest decodeMeta(int opt, byte[] payload, byte[] header) throws IOException {
        try {
            return MetaContextRequest.decode(payload);
        } catch (WireFormatException e) { // S11: MUST be ERR_INVALID
            violation(e.requirementId(), e.getMessage(), header,
                    "ERR_INVALID");
            reply(OptionReply.error(opt, OptionReplyType.ERR_INVALID, e.getMessage()));
            return null;
        }
    }

    private Optional<Export> findForMeta(int opt, MetaContextRequest request) throws IOException {
        Optional<Export> export = visible(request.exportName()); // TLS_REQD is not allowed here (S28)
        if (export.isEmpty()) {
            reply(OptionReply.error(opt, OptionReplyType.ERR_UNKNOWN,
                    "no export named \"" + WireStrings.abbreviate(request.exportName(), 80) + "\""));
        }
        return export;
    }

    private void badQuery(int opt, MetaContextSelection.BadQueryException e, byte[] header) throws IOException {
        violation("C13", e.getMessage(), header, "ERR_INVALID");
        reply(OptionReply.error(opt, OptionReplyType.ERR_INVALID, e.getMessage()));
    }

    private Session session(Export export, boolean blockSizeCommitted) {
        boolean contextsValid = export.name().equals(resolvedName(state.metaContextExport));
        List<MetaContextSelection.Selected> contexts = contextsValid ? state.metaContexts : List.of();
        int flags = TransmissionFlags.of(export, state.chunkedReplies(), state.extendedHeaders, !contexts.isEmpty(),
                ctx.config().maxConnections() == 1);
        return new Session(export, flags, state.framing(), contexts, ctx.config().sizes(), blockSizeCommitted);
    }

    /** The export a name selects, so "" and the default export's real name count as the same (C24). */
    private String resolvedName(String name) {
        return name == null ? null : ctx.exports().find(name).map(Export::name).orElse(null);
    }

    private void reply(OptionReply r) throws IOException {
        ctx.recorder().transcript(Phase.OPTIONS, false, -1, MessageSummary.reply(r));
        ctx.out().sendOptionReply(r);
    }

    private void violation(String id, String detail, byte[] excerpt, String reaction) {
        ctx.recorder().record(id, state == null ? Phase.HANDSHAKE : Phase.OPTIONS,
                state == null ? 0 : state.optionsSeen, state == null ? 0 : optionStart, detail, excerpt, reaction);
    }
}
