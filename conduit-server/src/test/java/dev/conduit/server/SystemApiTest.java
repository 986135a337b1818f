package dev.conduit.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.ConnectionState;
import dev.conduit.client.ServerErrorException;
import dev.conduit.server.spi.Permissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code $SYS.api} and {@code $SYS.admin} requests over real sockets: history after ticks, one
 * session's details, closing a session, and who may do which.
 */
class SystemApiTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> TOKENS = Map.of("ops", TokenHashes.newToken(),
            "watcher", TokenHashes.newToken(), "app", TokenHashes.newToken());

    private final StoppedClock clock = new StoppedClock();
    private RoutingServer server;

    @BeforeEach
    void start() {
        AuthConfig.Builder auth = AuthConfig.builder().failedAuthDelay(Duration.ZERO);
        TOKENS.forEach((principal, token) -> auth.token(principal, TokenHashes.hash(token)));
        auth.permissions("ops", new Permissions(List.of("$SYS.admin.>", ">"), null, List.of("$SYS.>", ">"), null, false))
                .permissions("watcher", new Permissions(null, null, List.of("$SYS.>", ">"), null, false))
                .permissions("app", Permissions.ALL);
        server = RoutingServer.create(ServerConfig.builder().host("127.0.0.1").port(0).clock(clock)
                .heartbeatInterval(Duration.ZERO).auth(auth.build()).build());
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Client connect(String principal, String name) {
        return Client.connect(ClientOptions.builder().endpoints("tcp://127.0.0.1:" + server.address().getPort())
                .clientName(name).initialConnectJitter(Duration.ZERO).token(TOKENS.get(principal)).build());
    }

    private static JsonNode ask(Client c, String subject, String payload) throws Exception {
        return JSON.readTree(c.requestAndWait(subject, payload.getBytes(UTF_8), WAIT).payload());
    }

    @Test
    void historyHoldsOnePointPerTickWhetherOrNotAnybodyWatched() throws Exception {
        try (Client app = connect("app", "app"); Client ops = connect("ops", "ops")) {
            for (int i = 0; i < 5; i++) {
                app.publish("orders.eu", new byte[10]);
            }
            app.flush(WAIT).get(10, TimeUnit.SECONDS);
            clock.advanceNanos(SECOND);
            server.stats().tick(clock.nanoTime()); // nobody subscribes to $SYS.stats
            clock.advanceNanos(SECOND);
            server.stats().tick(clock.nanoTime());

            JsonNode answer = ask(ops, SystemApi.HISTORY, "");
            assertThat(answer.get("status").asInt()).isEqualTo(200);
            JsonNode h = answer.get("history");
            assertThat(h.get("capacity").asInt()).isEqualTo(StatsHistory.CAPACITY);
            assertThat(h.get("points").asInt()).isEqualTo(2);
            assertThat(h.get("inPerSecond")).extracting(JsonNode::asDouble).containsExactly(5.0, 0.0);
            assertThat(h.get("sessions")).extracting(JsonNode::asInt).containsExactly(2, 2);
            assertThat(h.get("time")).hasSize(2);
            // No request was timed: no latency is claimed.
            assertThat(h.get("requestP50Millis")).allSatisfy(v -> assertThat(v.isNull()).isTrue());
        }
    }

    @Test
    void aSessionsDetailsListItsSubscriptionsAndFiguresButTheApiTrafficIsNotCounted() throws Exception {
        try (Client app = connect("app", "orders-app"); Client watcher = connect("watcher", "dash")) {
            app.subscribe("orders.>", m -> { });
            app.subscribe("jobs", "workers", m -> { });
            app.publish("orders.eu", new byte[10]);
            app.flush(WAIT).get(10, TimeUnit.SECONDS);
            String id = app.serverInfo().sessionId();
            clock.advanceNanos(SECOND);
            server.stats().tick(clock.nanoTime());

            JsonNode answer = ask(watcher, SystemApi.SESSION, "{\"id\":\"" + id + "\"}");
            assertThat(answer.get("status").asInt()).isEqualTo(200);
            assertThat(answer.get("mayClose").asBoolean()).isFalse(); // the watcher reads, no more
            JsonNode s = answer.get("session");
            assertThat(s.get("id").asText()).isEqualTo(id);
            assertThat(s.get("client").asText()).isEqualTo("orders-app");
            assertThat(s.get("principal").asText()).isEqualTo("app");
            assertThat(s.get("state").asText()).isEqualTo("attached");
            assertThat(s.get("transport").asText()).isEqualTo("tcp");
            assertThat(s.get("messagesIn").asLong()).isEqualTo(1);
            assertThat(s.get("messagesOut").asLong()).isEqualTo(1); // its own subscription got it
            assertThat(s.at("/rates/messagesInPerSecond").asDouble()).isEqualTo(1.0);
            assertThat(s.get("subscriptions")).hasSize(2);
            assertThat(s.at("/subscriptions/0/pattern").asText()).isEqualTo("orders.>");
            assertThat(s.at("/subscriptions/0/delivered").asLong()).isEqualTo(1);
            assertThat(s.at("/subscriptions/1/queueGroup").asText()).isEqualTo("workers");

            assertThat(ask(watcher, SystemApi.SESSION, "{\"id\":\"nope\"}").get("status").asInt()).isEqualTo(404);
            assertThat(ask(watcher, SystemApi.SESSION, "not json").get("status").asInt()).isEqualTo(400);
            assertThat(ask(watcher, "$SYS.api.other", "").get("status").asInt()).isEqualTo(404);

            // The watcher asked five times: none of it is traffic.
            JsonNode snapshot = JSON.valueToTree(server.stats().snapshot(clock.nanoTime()));
            assertThat(snapshot.at("/messages/in").asLong()).isEqualTo(1);
            assertThat(snapshot.at("/messages/out").asLong()).isEqualTo(1);
        }
    }

    @Test
    void closingASessionNeedsASysAdminPublishRight() throws Exception {
        try (Client app = connect("app", "victim"); Client watcher = connect("watcher", "dash");
             Client ops = connect("ops", "ops")) {
            String id = app.serverInfo().sessionId();
            String request = "{\"id\":\"" + id + "\"}";

            JsonNode refused = ask(watcher, SystemApi.CLOSE, request);
            assertThat(refused.get("status").asInt()).isEqualTo(403);
            assertThat(refused.get("error").asText()).contains("watcher").contains("$SYS.admin");
            JsonNode notReader = ask(app, SystemApi.SESSION, request);
            assertThat(notReader.get("status").asInt()).isEqualTo(403);
            assertThat(server.session(id)).isNotNull();

            assertThat(ask(ops, SystemApi.SESSION, request).get("mayClose").asBoolean()).isTrue();
            JsonNode closed = ask(ops, SystemApi.CLOSE, request);
            assertThat(closed.get("status").asInt()).isEqualTo(200);
            assertThat(closed.get("closed").asText()).isEqualTo(id);
            await().atMost(WAIT).until(() -> server.session(id) == null);
            // The client heard why; it may come back, as a new session.
            await().atMost(WAIT).until(() -> app.state() == ConnectionState.OPEN
                    && !id.equals(app.serverInfo().sessionId()));
        }
    }

    @Test
    void anonymousMayCloseOnlyUnderTheLoopbackDefaultNotWhenAnonymousAccessWasOpenedExplicitly() throws Exception {
        for (boolean explicit : new boolean[] {false, true}) {
            AuthConfig.Builder auth = AuthConfig.builder();
            if (explicit) {
                auth.allowAnonymous(true);
            }
            try (RoutingServer open = RoutingServer.create(ServerConfig.builder().host("127.0.0.1").port(0)
                    .heartbeatInterval(Duration.ZERO).auth(auth.build()).build())) {
                open.start();
                String url = "tcp://127.0.0.1:" + open.address().getPort();
                try (Client anonymous = Client.connect(ClientOptions.builder().endpoints(url)
                        .initialConnectJitter(Duration.ZERO).build());
                     Client victim = Client.connect(ClientOptions.builder().endpoints(url)
                        .initialConnectJitter(Duration.ZERO).build())) {
                    String request = "{\"id\":\"" + victim.serverInfo().sessionId() + "\"}";
                    assertThat(ask(anonymous, SystemApi.SESSION, request).get("status").asInt()).isEqualTo(200);
                    assertThat(ask(anonymous, SystemApi.CLOSE, request).get("status").asInt())
                            .as("allowAnonymous set explicitly: %s", explicit).isEqualTo(explicit ? 403 : 200);
                }
            }
        }
    }

    @Test
    void theAnswerGoesOnlyToTheRequestersOwnSubscriptions() throws Exception {
        try (Client app = connect("app", "app"); Client watcher = connect("watcher", "dash")) {
            BlockingQueue<String> leaked = new ArrayBlockingQueue<>(4);
            app.subscribe("orders.>", m -> leaked.add(m.payloadAsString()));
            app.flush(WAIT).get(10, TimeUnit.SECONDS);
            BlockingQueue<String> own = new ArrayBlockingQueue<>(4);
            watcher.subscribe("orders.>", m -> own.add(m.payloadAsString()));
            watcher.flush(WAIT).get(10, TimeUnit.SECONDS);
            // A request whose reply subject is somebody else's subject: the server answers only the
            // requester's own subscriptions, never publishes to others.
            watcher.publish(SystemApi.HISTORY, "orders.eu", dev.conduit.protocol.Headers.EMPTY, new byte[0]);
            assertThat(own.poll(10, TimeUnit.SECONDS)).contains("\"status\":200");
            watcher.flush(WAIT).get(10, TimeUnit.SECONDS);
            app.flush(WAIT).get(10, TimeUnit.SECONDS);
            assertThat(leaked).isEmpty();
        }
    }

    @Test
    void aPublishWithoutReplySubjectIsRefusedWith403() throws Exception {
        BlockingQueue<dev.conduit.protocol.ConduitException> errors = new ArrayBlockingQueue<>(4);
        try (Client ops = Client.connect(ClientOptions.builder()
                .endpoints("tcp://127.0.0.1:" + server.address().getPort()).initialConnectJitter(Duration.ZERO)
                .token(TOKENS.get("ops")).listener(new dev.conduit.client.ClientListener() {
                    @Override
                    public void onError(dev.conduit.protocol.ConduitException error) {
                        errors.add(error);
                    }
                }).build())) {
            ops.publish(SystemApi.HISTORY, new byte[0]);
            dev.conduit.protocol.ConduitException e = errors.poll(10, TimeUnit.SECONDS);
            assertThat(e).isInstanceOf(ServerErrorException.class).hasMessageContaining("reply subject");
            assertThat(((ServerErrorException) e).code()).isEqualTo(403);
        }
    }
}
