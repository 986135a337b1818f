// Conduit client for browsers and Node, no runtime dependencies.
//
// It speaks the Conduit wire protocol (docs/protocol.md) over a WebSocket that carries whole
// Conduit frames in binary messages, and keeps the same promise as the Java client
// (docs/guarantees.md): while the server can resume the session, nothing is lost or repeated
// across a dropped connection; when it cannot, a 'sessionLost' event says what was not confirmed.
//
// Modules: codec.js and subjects.js are pure; session.js numbers, acknowledges and replays; link.js
// is one WebSocket connection; client.js keeps one session across its links. Time comes from an
// injectable `timers` object so that tests need not wait. esbuild bundles this entry into
// dist/conduit.js (ESM, served by the server at /client/conduit.js) and dist/conduit.cjs.

export { PROTOCOL_VERSION, FrameType, DEFAULT_LIMITS, maxFrameSize, encodeFrame, decodeFrame, FrameReader, toBytes } from './codec.js';
export { subjectProblem, queueGroupProblem, subjectMatches } from './subjects.js';
export { ConduitError, ProtocolError, ServerError, TimeoutError, NoRespondersError, SessionLostError, BufferFullError,
    ClosedError, InvalidArgumentError, AbortError, OriginNotAllowedError } from './errors.js';
export { Msg, Subscription } from './subscription.js';
export { backoffDelay } from './options.js';
export { connect, Client } from './client.js';
export { openTelemetryTracing } from './tracing.js';

/**
 * @typedef {import('./codec.js').Frame} Frame
 * @typedef {import('./codec.js').Data} Data
 * @typedef {import('./codec.js').Limits} Limits
 * @typedef {import('./subjects.js').HeaderList} HeaderList
 * @typedef {import('./subjects.js').HeadersInit} HeadersInit
 * @typedef {import('./session.js').Unconfirmed} Unconfirmed
 * @typedef {import('./options.js').ConnectOptions} ConnectOptions
 * @typedef {import('./options.js').SubscribeOptions} SubscribeOptions
 * @typedef {import('./options.js').Credentials} Credentials
 * @typedef {import('./options.js').CredentialsSupplier} CredentialsSupplier
 * @typedef {import('./options.js').Timers} Timers
 * @typedef {import('./options.js').ServerInfo} ServerInfo
 * @typedef {import('./options.js').SessionLost} SessionLost
 * @typedef {import('./options.js').ClientState} ClientState
 * @typedef {import('./options.js').EventName} EventName
 * @typedef {import('./options.js').WebSocketConstructor} WebSocketConstructor
 * @typedef {import('./tracing.js').Tracing} Tracing
 * @typedef {import('./tracing.js').SendInfo} SendInfo
 * @typedef {import('./tracing.js').ReceiveInfo} ReceiveInfo
 * @typedef {import('./tracing.js').OpenTelemetryApi} OpenTelemetryApi
 */
