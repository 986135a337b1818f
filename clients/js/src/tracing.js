// Trace context across publish, delivery, request and reply (docs/protocol.md: `traceparent` and
// `tracestate` are ordinary headers). The client has no tracing library of its own: it calls the
// `tracing` object given to connect(), and openTelemetryTracing(api) makes one from the
// application's own @opentelemetry/api module, so that the package keeps no runtime dependency.

/**
 * @typedef {import('./subjects.js').HeaderList} HeaderList
 * @typedef {import('./subjects.js').HeadersInit} HeadersInit
 */

/**
 * What is being sent: a publish, a request (its reply subject is the client's inbox) or a reply
 * (`subject` is the requester's inbox).
 * @typedef {{ subject: string, operation: 'publish' | 'request' | 'reply' }} SendInfo
 */

/**
 * A message about to be handed to a subscription's handler.
 * @typedef {{ subject: string, pattern: string }} ReceiveInfo
 */

/**
 * The hooks the client calls; `connect({ tracing })`. `inject` is called as each message is sent and
 * writes the fields of the context to carry (`traceparent`, `tracestate`) into `carrier`; what it
 * returns, if a function, is called when the send is over (at once for a publish or a reply; with
 * the reply, or the error, for a request). `extract` is called for each message handed to a
 * handler and must run `handle` (inside the context the message carries) and return its result.
 * Headers the application set itself are never overwritten: when it set `traceparent`, nothing is
 * added.
 * @typedef {object} Tracing
 * @property {(carrier: Record<string, string>, info: SendInfo) => ((error?: unknown) => void) | void} inject
 * @property {(carrier: Record<string, string>, info: ReceiveInfo, handle: () => unknown) => unknown} [extract]
 */

/**
 * The parts of `@opentelemetry/api` this module uses (the module itself satisfies it).
 * @typedef {{
 *   trace: { getTracer(name: string): any, setSpan(context: any, span: any): any },
 *   context: { active(): any, with(context: any, fn: () => any): any },
 *   propagation: { inject(context: any, carrier: Record<string, string>): void, extract(context: any, carrier: Record<string, string>): any },
 *   SpanKind: { PRODUCER: number, CONSUMER: number, CLIENT: number },
 *   SpanStatusCode: { ERROR: number }
 * }} OpenTelemetryApi
 */

/**
 * Tracing through OpenTelemetry, from the application's `@opentelemetry/api`
 * (`import * as otel from '@opentelemetry/api'; connect({ url, tracing: openTelemetryTracing(otel) })`).
 * Spans follow the messaging conventions, as the Java client's do: `<subject> publish` (PRODUCER; a
 * request's is CLIENT and lasts until its reply), `(temporary) publish` for a reply, and
 * `<subject> process` (CONSUMER, child of the context the message carries) around a handler; the
 * context travels through the propagator the application registered (W3C trace context usually).
 * @param {OpenTelemetryApi} api @param {{ tracerName?: string }} [options]
 * @returns {Tracing}
 */
export function openTelemetryTracing(api, options = {}) {
    const tracer = api.trace.getTracer(options.tracerName || 'conduit-client-js');
    /** @param {any} span @param {unknown} error */
    const fail = (span, error) => {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: api.SpanStatusCode.ERROR });
    };
    return {
        inject(carrier, { subject, operation }) {
            const reply = operation === 'reply';
            /** @type {Record<string, string | boolean>} */
            const attributes = { 'messaging.system': 'conduit', 'messaging.destination.name': subject,
                'messaging.operation.name': operation === 'request' ? 'request' : 'publish', 'messaging.operation.type': 'send' };
            if (reply) {
                attributes['messaging.destination.temporary'] = true;
            }
            const span = tracer.startSpan(reply ? '(temporary) publish' : `${subject} publish`,
                { kind: operation === 'request' ? api.SpanKind.CLIENT : api.SpanKind.PRODUCER, attributes });
            api.propagation.inject(api.trace.setSpan(api.context.active(), span), carrier);
            return (error) => {
                if (error !== undefined) {
                    fail(span, error);
                }
                span.end();
            };
        },
        extract(carrier, { subject, pattern }, handle) {
            const parent = api.propagation.extract(api.context.active(), carrier);
            const span = tracer.startSpan(`${subject} process`, { kind: api.SpanKind.CONSUMER, attributes: {
                'messaging.system': 'conduit', 'messaging.destination.name': subject,
                'messaging.destination.subscription.name': pattern, 'messaging.operation.name': 'process',
                'messaging.operation.type': 'process' } }, parent);
            return api.context.with(api.trace.setSpan(parent, span), () => {
                let result;
                try {
                    result = handle();
                } catch (e) {
                    fail(span, e);
                    span.end();
                    throw e;
                }
                if (result !== null && typeof result === 'object' && typeof (/** @type {any} */ (result)).then === 'function') {
                    // An async handler: its span lasts until the promise settles.
                    /** @type {Promise<unknown>} */ (result).then(() => span.end(), (e) => { fail(span, e); span.end(); });
                } else {
                    span.end();
                }
                return result;
            });
        },
    };
}

/**
 * The headers of a message to send with the context `tracing` writes added after them, unless the
 * application set `traceparent` itself (then they are left as given); and the function to call when
 * the send is over.
 * @param {Tracing} tracing @param {HeaderList} list @param {SendInfo} info
 * @returns {{ headers: HeaderList, end: (error?: unknown) => void }}
 */
export function traceSend(tracing, list, info) {
    /** @type {Record<string, string>} */
    const carrier = {};
    const end = tracing.inject(carrier, info);
    const done = typeof end === 'function' ? end : () => {};
    if (list.some(([k]) => k.toLowerCase() === 'traceparent')) {
        return { headers: list, end: done };
    }
    const added = Object.entries(carrier).filter(([k]) => !list.some(([n]) => n.toLowerCase() === k.toLowerCase()));
    return { headers: added.length === 0 ? list : [...list, ...added], end: done };
}

/**
 * The headers of a received message as a carrier for `extract` (the first value of each name, names
 * in lower case as propagators look them up).
 * @param {HeaderList} list @returns {Record<string, string>}
 */
export function carrierOf(list) {
    /** @type {Record<string, string>} */
    const carrier = {};
    for (const [k, v] of list) {
        const n = k.toLowerCase();
        if (!(n in carrier)) {
            carrier[n] = v;
        }
    }
    return carrier;
}
