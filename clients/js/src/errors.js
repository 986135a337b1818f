// The errors the client throws or reports: one root (ConduitError), named by cause. README.md
// ("Errors") says which ones a retry can help.

// Errors

/** Base class of every error this module throws or reports. */
export class ConduitError extends Error {
    /**
     * @param {string} message
     * @param {number} [code] a protocol error code (section 11), when there is one
     */
    constructor(message, code) {
        super(message);
        this.name = 'ConduitError';
        /** @type {number | undefined} */
        this.code = code;
    }
}

/** Bytes from the network that break the protocol; the connection cannot go on. */
export class ProtocolError extends ConduitError {
    /** @param {string} message @param {number} [code] */
    constructor(message, code = 400) {
        super(message, code);
        this.name = 'ProtocolError';
    }
}

/** An ERROR frame from the server. */
export class ServerError extends ConduitError {
    /** @param {number} code @param {boolean} fatal @param {string} message */
    constructor(code, fatal, message) {
        super(`server error ${code}${fatal ? ' (fatal)' : ''}: ${message}`, code);
        this.name = 'ServerError';
        this.fatal = fatal;
        this.serverMessage = message;
    }
}

/** A request got no reply within its timeout. */
export class TimeoutError extends ConduitError {
    /** @param {string} message */
    constructor(message) {
        super(message);
        this.name = 'TimeoutError';
    }
}

/** A request matched no subscription at the server (NO_RESPONDERS). */
export class NoRespondersError extends ConduitError {
    /** @param {string} subject */
    constructor(subject) {
        super(`no responders for '${subject}'`, 503);
        this.name = 'NoRespondersError';
        this.subject = subject;
    }
}

/** The session ended before the server confirmed the operation; it may or may not have happened. */
export class SessionLostError extends ConduitError {
    /** @param {string} message */
    constructor(message) {
        super(message, 410);
        this.name = 'SessionLostError';
    }
}

/** The client buffer bound (`maxBufferedBytes`) would be exceeded. */
export class BufferFullError extends ConduitError {
    /** @param {string} message */
    constructor(message) {
        super(message);
        this.name = 'BufferFullError';
    }
}

/** The client is closed, or closed before the operation completed. */
export class ClosedError extends ConduitError {
    /** @param {string} message */
    constructor(message) {
        super(message);
        this.name = 'ClosedError';
    }
}

/** An argument breaks the protocol's rules (subjects, headers, sizes). */
export class InvalidArgumentError extends ConduitError {
    /** @param {string} message @param {number} [code] */
    constructor(message, code) {
        super(message, code);
        this.name = 'InvalidArgumentError';
    }
}

/**
 * The caller's AbortSignal aborted the operation (a request): a request not yet sent is never sent,
 * and a reply that comes later is ignored. `cause` is the signal's reason.
 */
export class AbortError extends ConduitError {
    /** @param {string} message @param {unknown} [reason] the signal's reason */
    constructor(message, reason) {
        super(message);
        this.name = 'AbortError';
        /** @type {unknown} */
        this.cause = reason;
    }
}

/**
 * The server refused the WebSocket upgrade with HTTP 403: the page's origin is not in its
 * `allowedOrigins`. Browsers do not tell a page why a WebSocket failed, so there this is reported
 * only as a ConduitError whose message names the origin as a possible cause.
 */
export class OriginNotAllowedError extends ConduitError {
    /** @param {string} message */
    constructor(message) {
        super(message, 403);
        this.name = 'OriginNotAllowedError';
    }
}
