// Options, time and the reconnect backoff: what connect() takes and how it checks it.

import { InvalidArgumentError } from './errors.js';

/**
 * @typedef {import('./subjects.js').HeaderList} HeaderList
 * @typedef {import('./codec.js').Frame} Frame
 * @typedef {import('./codec.js').PublishFrame} PublishFrame
 * @typedef {import('./subscription.js').Msg} Msg
 */

/**
 * Where the client takes time from; tests pass a manual one.
 * @typedef {{ now(): number, setTimeout(fn: () => void, ms: number): unknown, clearTimeout(handle: unknown): void }} Timers
 */

/** @type {Timers} */
export const realTimers = {
    now: () => (typeof performance !== 'undefined' ? performance.now() : Date.now()),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(/** @type {any} */ (h)),
};

/**
 * The wait before reconnect attempt `attempt` (0-based): exponential, capped, with jitter. With
 * jitter j the wait is uniform in [c x (1 - j), c] where c = min(maxDelayMs, initialDelayMs x 2^attempt);
 * j = 1 is "full jitter" (the Java client's).
 * @param {{ initialDelayMs: number, maxDelayMs: number, jitter: number }} backoff
 * @param {number} attempt @param {() => number} random
 */
export function backoffDelay(backoff, attempt, random) {
    const ceiling = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** Math.min(attempt, 40));
    return ceiling * (1 - backoff.jitter * random());
}

// -------------------------------------------------------------------------------------------------
// The client

/**
 * The WebSocket class the client uses: the browser's, or Node's `ws` package (same interface).
 * @typedef {{ new (url: string): WebSocketLike }} WebSocketConstructor
 * @typedef {{ binaryType: string, readyState: number, bufferedAmount?: number, send(data: Uint8Array): void, close(code?: number, reason?: string): void,
 *   onopen: ((ev: any) => void) | null, onmessage: ((ev: { data: any }) => void) | null, onclose: ((ev: any) => void) | null, onerror: ((ev: any) => void) | null }} WebSocketLike
 */

/**
 * What the client presents in HELLO and AUTH (protocol.md section 6a, docs/security.md): a scheme
 * (`token`, `jwt`, a plug-in's, or '' for none) and its credentials (a string is sent as UTF-8).
 * @typedef {{ scheme: string, credentials: string | Uint8Array }} Credentials
 */

/**
 * Called for every HELLO (first connect and each reconnect) and for every renewal: returns the
 * credentials to present now, or a promise of them (e.g. a fresh JWT fetched from an identity
 * provider).
 * @typedef {() => Credentials | Promise<Credentials>} CredentialsSupplier
 */

/**
 * @typedef {object} ConnectOptions
 * @property {string | string[]} url one endpoint (ws:// or wss://; without a path, /conduit) or several to rotate through
 * @property {string} [name] client name shown in the server's logs
 * @property {string} [token] credentials for the static-token scheme
 * @property {string} [authScheme] the HELLO auth scheme used with `token` (default 'token')
 * @property {string} [jwt] a JWT (compact JWS), sent with the scheme 'jwt'; one that expires cannot be
 *     renewed: use `credentials` with a function for that
 * @property {Credentials | CredentialsSupplier} [credentials] the credentials, or a function that supplies
 *     them, called again for each HELLO and each renewal. At most one of `token`, `jwt` and `credentials`.
 * @property {WebSocketConstructor} [WebSocket] the WebSocket class (default globalThis.WebSocket)
 * @property {{ initialDelayMs?: number, maxDelayMs?: number, jitter?: number, maxAttempts?: number }} [reconnect]
 * @property {number} [requestTimeoutMs] default request timeout (2000)
 * @property {number} [connectTimeoutMs] time for one attempt to reach WELCOME (10000)
 * @property {number} [flushTimeoutMs] default flush timeout (10000)
 * @property {number} [closeTimeoutMs] how long close() waits for confirmation (5000)
 * @property {number} [maxBufferedBytes] bound of unconfirmed and waiting publishes (8 MiB)
 * @property {boolean} [retryInitialConnect] keep trying when the first connection fails (false: connect() rejects)
 * @property {boolean} [disconnectWhenSlow] make subscriptions lossy, with DISCONNECT_WHEN_SLOW, by default
 * @property {number} [creditMessages] a reliable subscription's window in messages (65536): the server sends no more
 *     than this beyond what it has taken (a `for await` loop's window is at most its `bufferSize`)
 * @property {number} [creditBytes] its window in payload bytes (8 MiB)
 * @property {EventTarget | null} [networkEvents] where the browser fires 'online' (default: globalThis when it
 *     has addEventListener, as in a browser; null: none): when it fires, a client waiting to reconnect tries at once
 * @property {import('./tracing.js').Tracing | null} [tracing] trace context hooks: `traceparent`/`tracestate` written into
 *     what is published, requested and replied, read from what is delivered to a handler; `openTelemetryTracing(api)`
 *     makes them from the application's `@opentelemetry/api` (none by default)
 * @property {Timers} [timers] time source (tests)
 * @property {() => number} [random] random numbers in [0, 1) for jitter (tests)
 * @property {Partial<Record<EventName, (arg: any) => void>>} [on] listeners added before connecting,
 *     so that even the first 'connected' is heard
 */

/**
 * What `subscribe` takes besides the handler. `lossy`: skip (and count with GAP) rather than slow the
 * publishers when this subscriber falls behind (protocol.md 7b); `disconnectWhenSlow` implies it.
 * `bufferSize` (without a handler): how many messages a `for await` loop may leave waiting (default
 * 1024): a reliable loop's credit window, a lossy loop's bound past which the client stops acknowledging.
 * @typedef {{ queue?: string, lossy?: boolean, disconnectWhenSlow?: boolean, bufferSize?: number }} SubscribeOptions
 */

/**
 * `credentialsValidMs`: how long the credentials were valid when WELCOME was sent (0: they do not expire).
 * @typedef {{ serverId: string, sessionId: string, version: number, maxPayload: number, maxHeader: number, maxSubject: number, heartbeatMs: number, heartbeatMisses: number, credentialsValidMs: number }} ServerInfo
 * @typedef {import('./session.js').Unconfirmed} Unconfirmed
 * @typedef {{ reason: string, unconfirmed: Unconfirmed[], failedRequests: number }} SessionLost
 * @typedef {'connecting' | 'open' | 'reconnecting' | 'closing' | 'closed'} ClientState
 * @typedef {'connected' | 'disconnected' | 'reconnected' | 'resumed' | 'sessionLost' | 'error' | 'slowConsumer' | 'renewed' | 'closed'} EventName
 */

/**
 * What the client keeps for a flush in progress.
 * @typedef {{ target: number, resolve: () => void, reject: (e: Error) => void, timer: unknown }} PendingFlush
 */

/** The longest delay a timer takes (browsers and Node fire a longer one at once). */
export const MAX_TIMER_MS = 0x7fffffff;

/** @param {number} code */
export function retryable(code) {
    return code === 429 || code === 500 || code === 503 || code === 433 || code === 434 || code === 419;
}

/**
 * @param {number | undefined} v @param {number} dflt @param {string} name @param {boolean} [zeroOk]
 */
export function positive(v, dflt, name, zeroOk = false) {
    if (v === undefined) {
        return dflt;
    }
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || (!zeroOk && v === 0)) {
        throw new InvalidArgumentError(`${name} must be a number ${zeroOk ? '>= 0' : '> 0'}: ${v}`);
    }
    return v;
}
