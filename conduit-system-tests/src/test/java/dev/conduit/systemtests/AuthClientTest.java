package dev.conduit.systemtests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ConnectFailedException;
import dev.conduit.client.ConnectionState;
import dev.conduit.client.Credentials;
import dev.conduit.client.Message;
import dev.conduit.client.ServerErrorException;
import dev.conduit.client.Subscription;
import dev.conduit.protocol.ConduitException;
import dev.conduit.protocol.ErrorCode;
import dev.conduit.server.AuthConfig;
import dev.conduit.server.JwtSettings;
import dev.conduit.server.TokenHashes;
import dev.conduit.server.spi.AuthRequest;
import dev.conduit.server.spi.AuthResult;
import dev.conduit.server.spi.Authenticator;
import dev.conduit.server.spi.Permissions;
import dev.conduit.server.spi.Principal;
import dev.conduit.testkit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The Java client against an authenticating server, end to end: tokens, JWTs renewed by the
 * client's credentials supplier across their expiry (both clocks manual, so no test waits for a
 * token to expire), a client that cannot renew closed with 419, permission denials as the client
 * sees them, and a plug-in scheme.
 */
class AuthClientTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String SECRET = "an HS256 secret of at least 32 bytes, for tests only";
    /** How long each JWT handed out here is valid, from the server's time when it is made. */
    private static final Duration VALIDITY = Duration.ofSeconds(60);

    private static String jwt(String sub, Instant exp) {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256),
                new JWTClaimsSet.Builder().subject(sub).expirationTime(Date.from(exp)).build());
        try {
            jwt.sign(new MACSigner(SECRET.getBytes(UTF_8)));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }

    private static AuthConfig.Builder jwtAuth() {
        return AuthConfig.builder().failedAuthDelay(Duration.ZERO).jwt(new JwtSettings("HS256", SECRET, null, null, null));
    }

    /** Errors the client reported to its listener. */
    private static final class Errors implements ClientListener {
        final BlockingQueue<ConduitException> queue = new LinkedBlockingQueue<>();

        @Override
        public void onError(ConduitException error) {
            queue.add(error);
        }

        ServerErrorException next() throws InterruptedException {
            ConduitException e = queue.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(e).as("an error reported to the listener").isInstanceOf(ServerErrorException.class);
            return (ServerErrorException) e;
        }
    }

    /** The client's own subscription echoes what it requests: the session works end to end. */
    private static void assertWorks(Client c, String subject) throws Exception {
        // Bounded here, not by the request's own timeout: that runs on the client's clock, manual in some tests.
        Message reply = c.request(subject, "ping".getBytes(UTF_8), WAIT).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(reply.payloadAsString()).isEqualTo("ping");
    }

    @Test
    void aTokenAuthenticatesTheClientAndAWrongTokenFailsItsConnectWith401() throws Exception {
        String token = TokenHashes.newToken();
        try (TestServer ts = TestServer.start(b -> b.auth(AuthConfig.builder().failedAuthDelay(Duration.ZERO)
                .token("billing", TokenHashes.hash(token)).build()))) {
            Client billing = ts.client(o -> o.token(token));
            billing.subscribe("billing.echo", m -> m.reply(m.payload()));
            assertWorks(billing, "billing.echo");

            for (var wrong : List.of(Credentials.token(TokenHashes.newToken()), Credentials.NONE,
                    Credentials.jwt(jwt("billing", Instant.now().plusSeconds(60))))) {
                assertThatThrownBy(() -> ts.client(o -> o.credentials(() -> wrong)))
                        .as("connecting with %s", wrong)
                        .isInstanceOf(ConnectFailedException.class)
                        .cause().isInstanceOfSatisfying(ServerErrorException.class,
                                e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED));
            }
            assertWorks(billing, "billing.echo");
            assertThat(ts.server.meterRegistry().find("conduit.auth.failures").counters().stream()
                    .mapToDouble(c -> c.count()).sum()).isEqualTo(3);
        }
    }

    /** Advances the client's clock to its renewal and waits until the server's AUTH_OK has rescheduled it. */
    private static void renewal(ManualClock clientClock, Duration renewalDueIn) {
        assertThat(clientClock.pendingTasks()).as("the client's timers: its renewal only").isEqualTo(1);
        clientClock.advance(renewalDueIn);
        // After AUTH_OK the client's only timer (no heartbeat here) is its next renewal, due in four
        // fifths of the new validity: that is how the test knows the server took the new token.
        await().atMost(WAIT).until(() -> clientClock.nextDueIn().isPresent());
    }

    @Test
    void aClientWhoseSupplierHandsOutFreshJwtsStaysConnectedAcrossEveryExpiry() throws Exception {
        ManualClock serverClock = ManualClock.create();
        ManualClock clientClock = ManualClock.create();
        Instant base = Instant.now(); // no later than the server's idea of the time at its start
        AtomicInteger issued = new AtomicInteger();
        // The server's clock reading (elapsed) at which the token handed out last expires.
        java.util.concurrent.atomic.AtomicReference<Duration> lastExp = new java.util.concurrent.atomic.AtomicReference<>();
        Errors errors = new Errors();
        try (TestServer ts = TestServer.start(b -> b.clock(serverClock).heartbeatInterval(Duration.ZERO)
                .auth(jwtAuth().build()))) {
            Client client = ts.client(o -> o.clock(clientClock).listener(errors).credentials(() -> {
                issued.incrementAndGet();
                Duration exp = serverClock.elapsed().plus(VALIDITY);
                lastExp.set(exp);
                return Credentials.jwt(jwt("carol", base.plus(exp)));
            }));
            client.subscribe("carol.echo", m -> m.reply(m.payload()));
            assertWorks(client, "carol.echo");
            assertThat(issued.get()).isEqualTo(1);

            for (int i = 1; i <= 3; i++) {
                Duration oldExp = lastExp.get();
                // Both clocks move together to the client's renewal, at four fifths of the validity.
                Duration renewAt = clientClock.nextDueIn().orElseThrow();
                assertThat(renewAt).isLessThanOrEqualTo(VALIDITY.multipliedBy(4).dividedBy(5));
                serverClock.advance(renewAt);
                renewal(clientClock, renewAt);
                assertThat(issued.get()).as("tokens handed out").isEqualTo(1 + i);
                // Then past the old token's exp: the session goes on with the new one.
                Duration past = oldExp.plusMillis(1).minus(serverClock.elapsed());
                serverClock.advance(past);
                clientClock.advance(past);
                assertWorks(client, "carol.echo");
                assertThat(client.state()).isEqualTo(ConnectionState.OPEN);
            }
            assertThat(ts.server.sessionCount()).isEqualTo(1);
            assertThat(errors.queue).as("errors reported").isEmpty();
        }
    }

    @Test
    void aClientThatCannotRenewIsClosedWith419WhenItsJwtExpiresAndOtherSessionsGoOn() throws Exception {
        ManualClock serverClock = ManualClock.create();
        ManualClock clientClock = ManualClock.create();
        // The only token this client will ever have.
        String only = jwt("carol", Instant.now().plus(VALIDITY));
        Errors errors = new Errors();
        try (TestServer ts = TestServer.start(b -> b.clock(serverClock).heartbeatInterval(Duration.ZERO)
                .auth(jwtAuth().build()))) {
            Client bystander = ts.client(o -> o.credentials(() -> Credentials.jwt(jwt("dave", Instant.now().plusSeconds(3600)))));
            bystander.subscribe("dave.echo", m -> m.reply(m.payload()));
            assertWorks(bystander, "dave.echo");

            Client client = ts.client(o -> o.clock(clientClock).listener(errors).credentials(() -> Credentials.jwt(only)));
            client.subscribe("carol.echo", m -> m.reply(m.payload()));
            assertWorks(client, "carol.echo");

            // It renews with the same token: accepted, but its exp does not move.
            Duration renewAt = clientClock.nextDueIn().orElseThrow();
            serverClock.advance(renewAt);
            renewal(clientClock, renewAt);
            assertWorks(client, "carol.echo");

            serverClock.advance(VALIDITY);
            ServerErrorException e = errors.next();
            assertThat(e.errorCode()).isEqualTo(ErrorCode.CREDENTIALS_EXPIRED);
            assertThat(e.fatal()).isTrue();
            assertThat(e.getMessage()).contains("carol");
            await().atMost(WAIT).until(() -> client.state() != ConnectionState.OPEN);
            await().atMost(WAIT).until(() -> ts.server.sessionCount() == 1);
            assertWorks(bystander, "dave.echo");
        }
    }

    @Test
    void permissionDenialsReachTheClientAsNonFatalErrorsAndTheSessionGoesOn() throws Exception {
        String token = TokenHashes.newToken();
        Errors errors = new Errors();
        try (TestServer ts = TestServer.start(b -> b.auth(AuthConfig.builder().token("billing", TokenHashes.hash(token))
                .permissions("billing", new Permissions(List.of("billing.>"), null, List.of("billing.>"), null, true))
                .build()))) {
            Client billing = ts.client(o -> o.token(token).listener(errors));
            billing.subscribe("billing.echo", m -> m.reply(m.payload()));
            assertWorks(billing, "billing.echo");

            billing.publish("orders.x", new byte[1]);
            ServerErrorException e = errors.next();
            assertThat(e.errorCode()).isEqualTo(ErrorCode.PERMISSION_DENIED);
            assertThat(e.fatal()).isFalse();
            assertThat(e.getMessage()).contains("publish to 'orders.x'").contains("principal billing");

            Subscription denied = billing.subscribe("orders.>", m -> { });
            assertThat(errors.next().getMessage()).contains("subscribe to 'orders.>'");
            await().atMost(WAIT).until(() -> !denied.isActive());

            // A request to a denied subject fails with the 403 at once, not at its (long) timeout.
            CompletableFuture<Message> request = billing.request("orders.quote", new byte[1], Duration.ofMinutes(10));
            assertThatThrownBy(() -> request.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOfSatisfying(ServerErrorException.class,
                            x -> assertThat(x.errorCode()).isEqualTo(ErrorCode.PERMISSION_DENIED));

            assertThat(billing.state()).isEqualTo(ConnectionState.OPEN);
            assertWorks(billing, "billing.echo");
        }
    }

    @Test
    void aPlugInSchemeAuthenticatesTheClientAndRefusesWhatItDoesNotKnow() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        Authenticator apiKeys = new Authenticator() {
            @Override
            public String scheme() {
                return "apikey";
            }

            @Override
            public AuthResult authenticate(AuthRequest request) {
                String key = new String(request.credentials(), UTF_8);
                seen.add(key);
                return key.equals("k-123") ? AuthResult.accepted(Principal.named("tenant-a"))
                        : AuthResult.refused("unknown api key");
            }
        };
        try (TestServer ts = TestServer.start(b -> b.auth(AuthConfig.builder().failedAuthDelay(Duration.ZERO)
                .authenticator(apiKeys)
                .permissions("tenant-a", new Permissions(List.of("tenant-a.>"), null, List.of("tenant-a.>"), null, true))
                .build()))) {
            Client tenant = ts.client(o -> o.credentials(() -> new Credentials("apikey", "k-123".getBytes(UTF_8))));
            tenant.subscribe("tenant-a.echo", m -> m.reply(m.payload()));
            assertWorks(tenant, "tenant-a.echo");

            assertThatThrownBy(() -> ts.client(o -> o.credentials(() -> new Credentials("apikey", "k-999".getBytes(UTF_8)))))
                    .isInstanceOf(ConnectFailedException.class)
                    .cause().isInstanceOfSatisfying(ServerErrorException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED));
            assertThat(seen).containsExactly("k-123", "k-999");
            assertThat(ts.server.meterRegistry().find("conduit.auth.failures").tag("reason", "refused").counter().count())
                    .isEqualTo(1);
            assertWorks(tenant, "tenant-a.echo");
        }
    }
}
