// Trace context across publish, delivery, request and reply: the `tracing` hooks against an
// in-memory WebSocket, and openTelemetryTracing with the real OpenTelemetry SDK (dev dependencies
// only: the package itself has none).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as otel from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { connect, openTelemetryTracing, InvalidArgumentError } from '../src/index.js';
import { FakeNet, ManualTimers, tick, welcome, message } from './fakes.js';

async function start(options = {}) {
    const net = new FakeNet();
    const timers = new ManualTimers();
    const promise = connect({ url: 'ws://test/conduit', WebSocket: net.WebSocket, timers, random: () => 0, closeTimeoutMs: 0, ...options });
    const sock = net.last();
    sock.open();
    sock.take();
    sock.deliver(welcome());
    const client = await promise;
    return { client, sock };
}

const publishes = (frames) => frames.filter((f) => f.type === 'PUBLISH');

/** Hooks that write a numbered traceparent and record every call. */
function recordingTracing() {
    const calls = [];
    let n = 0;
    return {
        calls,
        inject(carrier, info) {
            const id = `00-${'a'.repeat(32)}-${String(++n).padStart(16, '0')}-01`;
            carrier.traceparent = id;
            carrier.tracestate = 'conduit=1';
            calls.push(['inject', info.operation, info.subject, id]);
            return (error) => calls.push(['end', id, error === undefined ? 'ok' : error.constructor.name]);
        },
        extract(carrier, info, handle) {
            calls.push(['extract', info.subject, info.pattern, carrier.traceparent]);
            return handle();
        },
    };
}

test('publish, request and reply carry what inject writes; a handler runs inside extract; the inbox does not', async () => {
    const tracing = recordingTracing();
    const { client, sock } = await start({ tracing });
    client.publish('orders.new', 'o1', { headers: { k: 'v' } });
    const reply = client.request('svc.echo', 'ping');
    await tick();
    const frames = sock.take();
    const [pub, req] = publishes(frames);
    assert.deepEqual(pub.headers, [['k', 'v'], ['traceparent', tracing.calls[0][3]], ['tracestate', 'conduit=1']]);
    assert.deepEqual(tracing.calls.slice(0, 2), [['inject', 'publish', 'orders.new', tracing.calls[0][3]], ['end', tracing.calls[0][3], 'ok']]);
    const requestId = tracing.calls[2][3];
    assert.deepEqual(tracing.calls[2], ['inject', 'request', 'svc.echo', requestId]);
    assert.equal(tracing.calls.length, 3, 'a request span is not over before its reply');
    assert.equal(req.headers.find(([k]) => k === 'traceparent')[1], requestId);

    // The reply arrives on the inbox: the request's end is called, and no extract for the inbox.
    const inbox = frames.find((f) => f.type === 'SUBSCRIBE');
    sock.deliver(message(1, inbox.subscriptionId, req.replyTo, 'pong', { headers: [['traceparent', 'x']] }));
    assert.equal((await reply).text(), 'pong');
    assert.deepEqual(tracing.calls.slice(3), [['end', requestId, 'ok']]);

    // A handler that replies: extract gets the message's context; the reply is traced as one.
    const sub = client.subscribe('svc.>', (m) => m.respond('done'));
    await tick();
    sock.take();
    const theirs = `00-${'b'.repeat(32)}-${'c'.repeat(16)}-01`;
    sock.deliver(message(2, sub.id, 'svc.work', 'job', { replyTo: '_INBOX.other.9', headers: [['TraceParent', theirs]] }));
    await tick();
    assert.deepEqual(tracing.calls[4], ['extract', 'svc.work', 'svc.>', theirs]);
    assert.deepEqual(tracing.calls[5].slice(0, 3), ['inject', 'reply', '_INBOX.other.9']);
    const [sent] = publishes(sock.take());
    assert.equal(sent.subject, '_INBOX.other.9');
    assert.equal(sent.headers.find(([k]) => k === 'traceparent')[1], tracing.calls[5][3]);
});

test('a traceparent the application set is never overwritten, nor its tracestate', async () => {
    const tracing = recordingTracing();
    const { client, sock } = await start({ tracing });
    const theirs = `00-${'d'.repeat(32)}-${'e'.repeat(16)}-01`;
    client.publish('audit', 'x', { headers: [['Traceparent', theirs], ['tracestate', 'mine=1']] });
    await tick();
    assert.deepEqual(publishes(sock.take())[0].headers, [['Traceparent', theirs], ['tracestate', 'mine=1']]);
});

test('a request that fails ends its span with the error; a bad tracing option is refused', async () => {
    const tracing = recordingTracing();
    const { client, sock } = await start({ tracing, requestTimeoutMs: 100 });
    const r = client.request('svc.none', 'x');
    await tick();
    const req = publishes(sock.take())[0];
    sock.deliver({ type: 'NO_RESPONDERS', replySubject: req.replyTo });
    await assert.rejects(r);
    await tick();
    assert.deepEqual(tracing.calls.at(-1), ['end', tracing.calls[0][3], 'NoRespondersError']);
    await assert.rejects(async () => connect({ url: 'ws://test/conduit', WebSocket: new FakeNet().WebSocket, timers: new ManualTimers(),
        tracing: /** @type {any} */ ({ extract() {} }) }), InvalidArgumentError);
});

test('without tracing nothing is added', async () => {
    const { client, sock } = await start();
    client.publish('a', 'x');
    await tick();
    assert.deepEqual(publishes(sock.take())[0].headers, []);
});

test('openTelemetryTracing: producer, consumer and reply spans in one trace, through the real SDK', async (t) => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const contextManager = new AsyncLocalStorageContextManager().enable();
    otel.trace.setGlobalTracerProvider(provider);
    otel.context.setGlobalContextManager(contextManager);
    otel.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    t.after(() => {
        otel.trace.disable();
        otel.context.disable();
        otel.propagation.disable();
    });
    const spans = () => exporter.getFinishedSpans();
    const named = (name) => spans().find((s) => s.name === name);

    const { client, sock } = await start({ tracing: openTelemetryTracing(otel) });
    const outer = otel.trace.getTracer('test').startSpan('checkout');
    otel.context.with(otel.trace.setSpan(otel.context.active(), outer), () => client.publish('orders.new', 'o1'));
    outer.end();
    await tick();
    const producer = named('orders.new publish');
    assert.ok(producer, 'a producer span');
    assert.equal(producer.kind, otel.SpanKind.PRODUCER);
    assert.equal(producer.parentSpanContext?.spanId, outer.spanContext().spanId);
    assert.equal(producer.attributes['messaging.system'], 'conduit');
    assert.equal(producer.attributes['messaging.destination.name'], 'orders.new');
    const [pub] = publishes(sock.take());
    const traceparent = pub.headers.find(([k]) => k === 'traceparent')[1];
    assert.equal(traceparent, `00-${producer.spanContext().traceId}-${producer.spanContext().spanId}-01`);

    // Delivered to a handler that replies: the consumer span is the producer's child, the reply's its child.
    let active;
    const sub = client.subscribe('orders.*', (m) => {
        active = otel.trace.getActiveSpan()?.spanContext().spanId;
        m.respond('ok');
    });
    await tick();
    sock.take();
    sock.deliver(message(1, sub.id, 'orders.new', 'o1', { replyTo: '_INBOX.x.1', headers: pub.headers }));
    await tick();
    const consumer = named('orders.new process');
    assert.equal(consumer.kind, otel.SpanKind.CONSUMER);
    assert.equal(consumer.spanContext().traceId, producer.spanContext().traceId);
    assert.equal(consumer.parentSpanContext?.spanId, producer.spanContext().spanId);
    assert.equal(active, consumer.spanContext().spanId, 'the handler ran inside the consumer span');
    const replied = named('(temporary) publish');
    assert.equal(replied.parentSpanContext?.spanId, consumer.spanContext().spanId);
    const [replyFrame] = publishes(sock.take());
    assert.equal(replyFrame.headers.find(([k]) => k === 'traceparent')[1],
        `00-${replied.spanContext().traceId}-${replied.spanContext().spanId}-01`);

    // A request's CLIENT span ends with its reply.
    const r = client.request('svc.echo', 'ping');
    await tick();
    const frames = sock.take();
    const req = publishes(frames)[0];
    assert.equal(named('svc.echo publish'), undefined, 'not ended before the reply');
    const inbox = frames.find((f) => f.type === 'SUBSCRIBE');
    sock.deliver(message(2, inbox.subscriptionId, req.replyTo, 'pong'));
    await r;
    await tick();
    assert.equal(named('svc.echo publish')?.kind, otel.SpanKind.CLIENT);
    assert.equal(spans().filter((s) => s.name.endsWith(' process')).length, 1, 'the inbox makes no consumer span');
});
