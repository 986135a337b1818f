package dev.conduit.client;

import dev.conduit.protocol.Headers;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The OpenTelemetry side of {@link Tracing}: loaded only when the API is present, and reached only
 * through methods whose signatures name no OpenTelemetry type, so that the classes calling it load
 * and verify without the API.
 *
 * <p>Spans follow the OpenTelemetry messaging conventions: a publish is a PRODUCER span named
 * {@code <subject> publish}, a request a CLIENT span of the same name that lasts until its reply
 * (or failure), a reply a PRODUCER span named {@code (temporary) publish} (its subject is a
 * request's inbox, not a name worth grouping by), and a delivery to a handler a CONSUMER span named
 * {@code <subject> process} whose parent is the context the message carries. The context goes in
 * the {@code traceparent} and {@code tracestate} headers through the propagators of {@code
 * GlobalOpenTelemetry} (W3C trace context unless the application configured others); headers a
 * caller already set are kept as given, never overwritten.
 *
 * <p>Threads: any; it keeps no state.
 */
final class OtelTracing {
    static final String TRACEPARENT = "traceparent";

    private static final String SCOPE = "dev.conduit.client";
    private static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
    private static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    private static final AttributeKey<Boolean> TEMPORARY = AttributeKey.booleanKey("messaging.destination.temporary");
    private static final AttributeKey<String> OPERATION = AttributeKey.stringKey("messaging.operation.name");
    private static final AttributeKey<String> OPERATION_TYPE = AttributeKey.stringKey("messaging.operation.type");
    private static final AttributeKey<String> SUBSCRIPTION = AttributeKey.stringKey("messaging.destination.subscription.name");
    private static final AttributeKey<Long> BODY_SIZE = AttributeKey.longKey("messaging.message.body.size");

    private static final TextMapGetter<Headers> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers carrier) {
            return carrier.names();
        }

        @Override
        public @Nullable String get(@Nullable Headers carrier, String key) {
            return carrier == null ? null : carrier.first(key);
        }
    };

    private static final TextMapSetter<Headers.Builder> SETTER = (carrier, key, value) -> {
        if (carrier != null) {
            carrier.set(key, value);
        }
    };

    /**
     * Whether the API has {@code GlobalOpenTelemetry.getOrNoop()} (recent versions): it does not, as
     * {@code get()} does, install the no-op implementation for good when the application has not set
     * one yet, so an application that sets its SDK after its first publish is still traced.
     */
    private static final boolean GET_OR_NOOP = hasGetOrNoop();

    private OtelTracing() {
    }

    private static boolean hasGetOrNoop() {
        try {
            GlobalOpenTelemetry.class.getMethod("getOrNoop");
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    private static OpenTelemetry otel() {
        return GET_OR_NOOP ? GlobalOpenTelemetry.getOrNoop() : GlobalOpenTelemetry.get();
    }

    /** Sends a publish (or, with {@code reply}, a reply) inside a PRODUCER span, its context in the headers. */
    static <R> R publish(String subject, boolean reply, Headers headers, int payloadBytes, Function<Headers, R> send) {
        Span span = start(reply ? "(temporary) publish" : subject + " publish", SpanKind.PRODUCER, subject, reply,
                "publish", payloadBytes);
        try (Scope ignored = span.makeCurrent()) {
            return send.apply(inject(headers));
        } catch (RuntimeException | Error e) {
            fail(span, e);
            throw e;
        } finally {
            span.end();
        }
    }

    /**
     * Sends a request (a CLIENT span) or a confirmed publish (a PRODUCER span) inside a span that ends
     * when the returned future completes: with the reply, or the confirmation, or their failure.
     */
    static <T> CompletableFuture<T> untilDone(String subject, boolean request, Headers headers, int payloadBytes,
                                              Function<Headers, CompletableFuture<T>> send) {
        Span span = start(subject + " publish", request ? SpanKind.CLIENT : SpanKind.PRODUCER, subject, false,
                request ? "request" : "publish", payloadBytes);
        CompletableFuture<T> outcome;
        try (Scope ignored = span.makeCurrent()) {
            outcome = send.apply(inject(headers));
        } catch (RuntimeException | Error e) {
            fail(span, e);
            span.end();
            throw e;
        }
        outcome.whenComplete((m, e) -> {
            if (e != null) {
                fail(span, e);
            }
            span.end();
        });
        return outcome;
    }

    /** A handler that runs the given one inside a CONSUMER span, child of the context the message carries. */
    static MessageHandler consumer(String pattern, MessageHandler handler) {
        return message -> {
            OpenTelemetry otel = otel();
            Context parent = otel.getPropagators().getTextMapPropagator()
                    .extract(Context.current(), message.headers(), GETTER);
            Span span = otel.getTracer(SCOPE).spanBuilder(message.subject() + " process")
                    .setParent(parent)
                    .setSpanKind(SpanKind.CONSUMER)
                    .setAttribute(SYSTEM, "conduit")
                    .setAttribute(DESTINATION, message.subject())
                    .setAttribute(SUBSCRIPTION, pattern)
                    .setAttribute(OPERATION, "process")
                    .setAttribute(OPERATION_TYPE, "process")
                    .setAttribute(BODY_SIZE, (long) (message instanceof ReceivedMessage r ? r.payloadLength()
                            : message.payload().length))
                    .startSpan();
            try (Scope ignored = span.makeCurrent()) {
                handler.onMessage(message);
            } catch (Exception | Error e) {
                fail(span, e);
                throw e;
            } finally {
                span.end();
            }
        };
    }

    private static Span start(String name, SpanKind kind, String subject, boolean temporary, String operation,
                              int payloadBytes) {
        var builder = otel().getTracer(SCOPE).spanBuilder(name)
                .setSpanKind(kind)
                .setAttribute(SYSTEM, "conduit")
                .setAttribute(DESTINATION, subject)
                .setAttribute(OPERATION, operation)
                .setAttribute(OPERATION_TYPE, "send")
                .setAttribute(BODY_SIZE, (long) payloadBytes);
        if (temporary) {
            builder.setAttribute(TEMPORARY, true);
        }
        return builder.startSpan();
    }

    /**
     * The headers with the current context added, or the same headers when the caller set {@code
     * traceparent} (theirs is kept) or there is no valid context to carry.
     */
    private static Headers inject(Headers headers) {
        Headers given = headers == null ? Headers.EMPTY : headers;
        if (given.first(TRACEPARENT) != null || !Span.current().getSpanContext().isValid()) {
            return headers;
        }
        Headers.Builder b = given.toBuilder();
        otel().getPropagators().getTextMapPropagator().inject(Context.current(), b, SETTER);
        return b.build();
    }

    private static void fail(Span span, Throwable e) {
        span.recordException(e);
        span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
    }
}
