package dev.nbdref.tls;

/**
 * Told where TLS records begin and end in the ciphertext a client sends, on the thread that reads them. A
 * record's plaintext reaches the reader only once the whole record is in, so a client sending a record slowly is
 * invisible above the TLS layer; this lets the server time it anyway.
 */
public interface RecordObserver {
    /** Observes nothing. */
    RecordObserver NONE = new RecordObserver() {
        @Override
        public void recordStarted() { }

        @Override
        public void recordFinished() { }
    };

    /** The first byte of a record's header has been read. */
    void recordStarted();

    /** The last byte of the record has been read (its plaintext, if any, can now be decrypted). */
    void recordFinished();
}
