package dev.nbdref.server;

import dev.nbdref.spec.ErrorCode;

/** A request the server answers with an error instead of executing it. */
record RequestError(ErrorCode code, String message) {}
