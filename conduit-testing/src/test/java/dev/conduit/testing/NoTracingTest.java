package dev.conduit.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.client.Client;
import dev.conduit.client.Message;
import dev.conduit.protocol.Headers;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client without the OpenTelemetry API (it is an optional dependency of conduit-client, absent
 * from this module's class path): publish, delivery, request and reply work, add no headers, and
 * carry a {@code traceparent} the application set as it was given. Its twin with the SDK present is
 * conduit-system-tests' TracingTest.
 */
class NoTracingTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    @RegisterExtension
    static final ConduitServerExtension server = ConduitServerExtension.create();

    @Test
    void theOpenTelemetryApiIsAbsentHere() {
        assertThatThrownBy(() -> Class.forName("io.opentelemetry.api.GlobalOpenTelemetry"))
                .isInstanceOf(ClassNotFoundException.class);
    }

    @Test
    void publishAndDeliveryAddNoHeadersAndKeepTheApplicationsOwn() throws Exception {
        Client subscriber = server.connectLocal();
        Client publisher = server.connectLocal();
        CompletableFuture<Message> plain = new CompletableFuture<>();
        CompletableFuture<Message> traced = new CompletableFuture<>();
        subscriber.subscribe("plain", plain::complete);
        subscriber.subscribe("traced", traced::complete);
        subscriber.flush(WAIT).get();

        publisher.publish("plain", "a".getBytes(UTF_8));
        publisher.publish("traced", Headers.of("traceparent", TRACEPARENT, "tracestate", "k=v"), "b".getBytes(UTF_8));

        assertThat(plain.get(30, TimeUnit.SECONDS).headers().isEmpty()).isTrue();
        Headers h = traced.get(30, TimeUnit.SECONDS).headers();
        assertThat(h.all("traceparent")).containsExactly(TRACEPARENT);
        assertThat(h.all("tracestate")).containsExactly("k=v");
    }

    @Test
    void requestAndReplyCarryWhatTheApplicationSet() throws Exception {
        Client responder = server.connectLocal();
        responder.subscribe("svc.echo", m -> m.reply(Headers.of("traceparent", m.headers().first("traceparent")),
                m.payload()));
        responder.flush(WAIT).get();

        Message reply = server.connectLocal().request("svc.echo", Headers.of("traceparent", TRACEPARENT),
                "ping".getBytes(UTF_8), WAIT).get(30, TimeUnit.SECONDS);

        assertThat(reply.payloadAsString()).isEqualTo("ping");
        assertThat(reply.headers().all("traceparent")).containsExactly(TRACEPARENT);
    }
}
