package dev.nbdref.tls;

/** The spec's TLS modes of a server ("TLS support", server-side requirements). */
public enum TlsMode {
    /** NOTLS: STARTTLS is refused with ERR_POLICY; TLS_REQD is never sent. */
    OFF,
    /** SELECTIVETLS: TLS is offered; exports marked tls-only need it, the others work in plain text too. */
    ON,
    /** FORCEDTLS: every option but STARTTLS and ABORT gets TLS_REQD until TLS is up. */
    REQUIRE
}
