package dev.nbdref.spec;

/** Which peer a requirement binds: S-rules bind the server, C-rules the client. */
public enum Party {
    SERVER,
    CLIENT;

    /** Parses the lower-case spelling used in spec/requirements.json. */
    public static Party fromJson(String value) {
        return valueOf(value.toUpperCase(java.util.Locale.ROOT));
    }
}
