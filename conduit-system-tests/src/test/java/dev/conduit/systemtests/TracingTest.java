package dev.conduit.systemtests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.Message;
import dev.conduit.protocol.Headers;
import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client's OpenTelemetry support with the SDK present (installed as {@code GlobalOpenTelemetry}
 * by the extension): trace context in {@code traceparent} across publish, delivery, request and
 * reply, and the spans, through an embedded server.
 */
class TracingTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @RegisterExtension
    static final OpenTelemetryExtension otel = OpenTelemetryExtension.create();

    private Server server;
    private Client publisher;
    private Client subscriber;

    @BeforeEach
    void start() {
        server = Server.create(ServerConfig.builder().port(0).ioThreads(1).build()).start();
        publisher = Client.connectLocal(server.localConnector());
        subscriber = Client.connectLocal(server.localConnector());
    }

    @AfterEach
    void stop() {
        publisher.close();
        subscriber.close();
        server.close();
    }

    @Test
    void publishCarriesTheContextAndTheHandlerRunsInAChildConsumerSpan() throws Exception {
        BlockingQueue<Message> received = new ArrayBlockingQueue<>(1);
        BlockingQueue<String> traceInHandler = new ArrayBlockingQueue<>(1);
        subscriber.subscribe("orders.*", m -> {
            traceInHandler.add(Span.current().getSpanContext().getSpanId());
            received.add(m);
        });
        subscriber.flush(WAIT).get();

        Span parent = otel.getOpenTelemetry().getTracer("test").spanBuilder("checkout").startSpan();
        try (Scope ignored = parent.makeCurrent()) {
            publisher.publish("orders.new", Headers.of("k", "v"), "o1".getBytes(UTF_8));
        } finally {
            parent.end();
        }
        Message m = received.poll(30, TimeUnit.SECONDS);
        assertThat(m).isNotNull();
        assertThat(m.headers().first("k")).isEqualTo("v");

        SpanData producer = awaitSpan("orders.new publish");
        SpanData consumer = awaitSpan("orders.new process");
        assertThat(producer.getKind()).isEqualTo(SpanKind.PRODUCER);
        assertThat(producer.getParentSpanId()).isEqualTo(parent.getSpanContext().getSpanId());
        assertThat(producer.getAttributes().get(AttributeKey.stringKey("messaging.system"))).isEqualTo("conduit");
        assertThat(producer.getAttributes().get(AttributeKey.stringKey("messaging.destination.name")))
                .isEqualTo("orders.new");
        assertThat(m.headers().first("traceparent"))
                .startsWith("00-" + producer.getTraceId() + "-" + producer.getSpanId() + "-");

        assertThat(consumer.getKind()).isEqualTo(SpanKind.CONSUMER);
        assertThat(consumer.getTraceId()).isEqualTo(parent.getSpanContext().getTraceId());
        assertThat(consumer.getParentSpanId()).isEqualTo(producer.getSpanId());
        assertThat(traceInHandler.poll(30, TimeUnit.SECONDS)).isEqualTo(consumer.getSpanId());
    }

    @Test
    void requestAndReplyFormOneTrace() throws Exception {
        subscriber.subscribe("svc.echo", m -> m.reply(m.payload()));
        subscriber.flush(WAIT).get();

        Message reply = publisher.request("svc.echo", "ping".getBytes(UTF_8), WAIT).get(30, TimeUnit.SECONDS);
        assertThat(reply.payloadAsString()).isEqualTo("ping");

        SpanData request = awaitSpan("svc.echo publish");
        SpanData handled = awaitSpan("svc.echo process");
        SpanData replied = awaitSpan("(temporary) publish");
        assertThat(request.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(request.getParentSpanId()).as("a root: no context was current").isEqualTo(NO_PARENT);
        assertThat(handled.getParentSpanId()).isEqualTo(request.getSpanId());
        assertThat(replied.getKind()).isEqualTo(SpanKind.PRODUCER);
        assertThat(replied.getParentSpanId()).isEqualTo(handled.getSpanId());
        assertThat(replied.getAttributes().get(AttributeKey.booleanKey("messaging.destination.temporary"))).isTrue();
        assertThat(List.of(handled.getTraceId(), replied.getTraceId())).containsOnly(request.getTraceId());
        // The reply carries the context back to the requester.
        assertThat(reply.headers().first("traceparent"))
                .startsWith("00-" + replied.getTraceId() + "-" + replied.getSpanId() + "-");
        // The inbox's own delivery makes no span: only the three above.
        assertThat(otel.getSpans()).hasSize(3);
    }

    @Test
    void aFailedHandlerMarksItsSpanAsAnError() throws Exception {
        subscriber.subscribe("jobs", m -> {
            throw new IllegalStateException("boom");
        });
        subscriber.flush(WAIT).get();
        publisher.publish("jobs", new byte[0]);
        SpanData consumer = awaitSpan("jobs process");
        assertThat(consumer.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(consumer.getEvents()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("exception"));
    }

    @Test
    void aTraceparentTheCallerSetIsNeverOverwritten() throws Exception {
        String theirs = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        BlockingQueue<Message> received = new ArrayBlockingQueue<>(1);
        subscriber.subscribe("audit", received::add);
        subscriber.flush(WAIT).get();

        Span parent = otel.getOpenTelemetry().getTracer("test").spanBuilder("outer").startSpan();
        try (Scope ignored = parent.makeCurrent()) {
            publisher.publish("audit", Headers.of("traceparent", theirs, "tracestate", "a=1"), new byte[0]);
        } finally {
            parent.end();
        }
        Message m = received.poll(30, TimeUnit.SECONDS);
        assertThat(m).isNotNull();
        assertThat(m.headers().all("traceparent")).containsExactly(theirs);
        assertThat(m.headers().all("tracestate")).containsExactly("a=1");
        // The handler's span continues the caller's trace.
        assertThat(awaitSpan("audit process").getTraceId()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
    }

    private static final String NO_PARENT = "0000000000000000";

    private static SpanData awaitSpan(String name) {
        return await().atMost(WAIT).until(
                () -> otel.getSpans().stream().filter(s -> s.getName().equals(name)).findFirst().orElse(null),
                s -> s != null);
    }
}
