package dev.conduit.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.Message;
import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolVersion;
import dev.conduit.server.spi.AuthRequest;
import dev.conduit.server.spi.AuthResult;
import dev.conduit.server.spi.Authenticator;
import dev.conduit.server.spi.Permissions;
import dev.conduit.server.spi.Principal;
import dev.conduit.testkit.ManualClock;
import dev.conduit.testkit.RawFrameClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Authentication over real sockets, frame by frame: static tokens, JWTs (HS256, RS256, ES256), a
 * plug-in, anonymous access, renewal and expiry during a session (on a manual clock, so nothing
 * waits for a token to expire), and the meter and log lines of failures. Every refusal is a fatal
 * 401 for the offender only: a bystander session on the same server keeps working.
 */
class AuthenticationTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String BYSTANDER_TOKEN = TokenHashes.newToken();
    private static final String BILLING_TOKEN = TokenHashes.newToken();

    @TempDir
    Path dir;

    private final ManualClock clock = ManualClock.create();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<Client> clients = new ArrayList<>();
    private RoutingServer server;
    private Client bystander;

    /** A server with tokens for {@code bystander} and {@code billing}, plus whatever {@code auth} adds. */
    private RoutingServer start(UnaryOperator<AuthConfig.Builder> auth, UnaryOperator<ServerConfig.Builder> tweak) {
        AuthConfig a = auth.apply(AuthConfig.builder().failedAuthDelay(Duration.ZERO)
                .token("bystander", TokenHashes.hash(BYSTANDER_TOKEN))
                .token("billing", TokenHashes.hash(BILLING_TOKEN))).build();
        server = RoutingServer.create(tweak.apply(ServerConfig.builder().host("127.0.0.1").port(0).ioThreads(2)
                .clock(clock).heartbeatInterval(Duration.ZERO).drainTimeout(Duration.ofSeconds(1)).auth(a)).build(),
                registry);
        server.start();
        bystander = Client.connect(ClientOptions.builder().endpoints("tcp://127.0.0.1:" + server.address().getPort())
                .initialConnectJitter(Duration.ZERO).token(BYSTANDER_TOKEN).build());
        clients.add(bystander);
        bystander.subscribe("bystander.echo", m -> m.reply(m.payload()));
        bystander.flush(WAIT).join();
        assertBystanderWorks();
        return server;
    }

    private RoutingServer start(UnaryOperator<AuthConfig.Builder> auth) {
        return start(auth, b -> b);
    }

    private void assertBystanderWorks() {
        Message reply = bystander.requestAndWait("bystander.echo", "still here".getBytes(UTF_8), WAIT);
        assertThat(reply.payloadAsString()).isEqualTo("still here");
    }

    @AfterEach
    void stop() {
        clients.forEach(Client::close);
        if (server != null) {
            server.close();
        }
    }

    private RawFrameClient raw() throws Exception {
        return new RawFrameClient(server.address());
    }

    private static Frame.Hello hello(String scheme, String credentials) {
        return new Frame.Hello(ProtocolVersion.MIN, ProtocolVersion.MAX, "auth-test", scheme,
                credentials.getBytes(UTF_8), new byte[0], 0);
    }

    /** Sends the HELLO and returns its WELCOME. */
    private Frame.Welcome welcomed(RawFrameClient c, String scheme, String credentials) throws Exception {
        c.send(hello(scheme, credentials));
        Frame f = c.next();
        assertThat(f).as("answer to a HELLO with scheme '%s'", scheme).isInstanceOf(Frame.Welcome.class);
        return (Frame.Welcome) f;
    }

    /** Sends the HELLO and checks that it is answered with a fatal 401 and nothing else, then the close. */
    private void refused(String scheme, String credentials) throws Exception {
        try (RawFrameClient c = raw()) {
            c.send(hello(scheme, credentials));
            assertFatalThenClosed(c, ErrorCode.AUTHENTICATION_FAILED);
        }
    }

    private static Frame.Error assertFatalThenClosed(RawFrameClient c, ErrorCode code) throws Exception {
        List<Frame> frames = c.readUntilClosed();
        assertThat(frames).as("frames before the close").hasSize(1);
        assertThat(frames.get(0)).isInstanceOf(Frame.Error.class);
        Frame.Error e = (Frame.Error) frames.get(0);
        assertThat(e.errorCode()).as("error %s", e).isEqualTo(code);
        assertThat(e.fatal()).as("fatal flag of %s", e).isTrue();
        return e;
    }

    private double authFailures(String reason) {
        Counter c = registry.find("conduit.auth.failures").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    private double errorsSent(ErrorCode code) {
        Counter c = registry.find("conduit.errors").tag("code", String.valueOf(code.code())).counter();
        return c == null ? 0 : c.count();
    }

    /** A subscription the session owns works: what it publishes to it comes back. */
    private static void assertSessionWorks(RawFrameClient c, int sid, String subject) throws Exception {
        c.send(new Frame.Subscribe(sid, subject, null, false));
        c.send(new Frame.Publish(0, false, MessageBody.of(subject, null, Headers.EMPTY, "ok".getBytes(UTF_8))));
        List<Frame> frames = c.sync();
        assertThat(frames).as("frames after subscribing and publishing to %s", subject).hasSize(1);
        assertThat(frames.get(0)).isInstanceOf(Frame.Message.class);
        assertThat(((Frame.Message) frames.get(0)).body().subject()).isEqualTo(subject);
    }

    // ---------------------------------------------------------------------------------------------
    // Static tokens

    @Test
    void aConfiguredTokenOpensASessionThatDoesNotExpireAndAnUnknownOneIs401() throws Exception {
        start(a -> a.permissions("billing", new Permissions(List.of("billing.>"), null, null, null, false)));
        try (RawFrameClient c = raw()) {
            Frame.Welcome w = welcomed(c, "token", BILLING_TOKEN);
            assertThat(w.credentialsValidMillis()).as("tokens do not expire").isZero();
            assertSessionWorks(c, 1, "billing.x");
            // The principal is billing: its own permissions apply, and denials name it.
            c.send(new Frame.Publish(0, false, MessageBody.of("orders.x", null, Headers.EMPTY, new byte[1])));
            List<Frame> frames = c.sync();
            assertThat(frames).hasSize(1);
            assertThat(((Frame.Error) frames.get(0)).message()).contains("principal billing");
        }
        refused("token", TokenHashes.newToken());
        refused("token", "");
        refused("token", BILLING_TOKEN + "x");
        assertThat(authFailures("bad_token")).isEqualTo(3);
        assertThat(errorsSent(ErrorCode.AUTHENTICATION_FAILED)).isEqualTo(3);
        assertBystanderWorks();
    }

    @Test
    void aSchemeNoAuthenticatorHandlesIs401() throws Exception {
        start(a -> a);
        refused("jwt", "a.b.c");
        refused("kerberos", "ticket");
        refused("", "credentials without a scheme");
        assertThat(authFailures("unknown_scheme")).isEqualTo(3);
        assertBystanderWorks();
    }

    @Test
    void theTokenHashErrorPointsToTheDocumentedRecipeNotToCommandsThatDoNotExist() {
        assertThatThrownBy(() -> AuthConfig.builder().token("billing", BILLING_TOKEN))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sha256sum")
                .hasMessageContaining("docs/security.md")
                .hasMessageNotContaining("conduit token");
    }

    // ---------------------------------------------------------------------------------------------
    // Anonymous access

    @Test
    void aServerWithAuthenticatorsRefusesAHelloWithoutCredentialsAfterTheFailedAuthDelay() throws Exception {
        Duration delay = Duration.ofMillis(300);
        start(a -> a.failedAuthDelay(delay));
        try (RawFrameClient c = raw()) {
            long sent = System.nanoTime();
            c.send(Frame.Hello.anonymous(ProtocolVersion.MIN, "anonymous"));
            Frame.Error e = assertFatalThenClosed(c, ErrorCode.AUTHENTICATION_FAILED);
            assertThat(Duration.ofNanos(System.nanoTime() - sent)).as("not before the delay").isGreaterThanOrEqualTo(delay);
            assertThat(e.message()).as("the client learns nothing more").isEqualTo("authentication failed");
        }
        assertThat(authFailures("no_credentials")).isEqualTo(1);
        assertThat(registry.find("conduit.handshake.failures").tag("reason", "protocol_error").counter().count())
                .isEqualTo(1);
        assertBystanderWorks();
    }

    @Test
    void allowAnonymousTrueLetsAnonymousHellosInBesideTheAuthenticators() throws Exception {
        start(a -> a.allowAnonymous(true));
        try (RawFrameClient c = raw()) {
            assertThat(welcomed(c, "", "").credentialsValidMillis()).isZero();
            assertSessionWorks(c, 1, "anyone.x");
        }
        refused("token", "not a configured token");
        assertBystanderWorks();
    }

    @Test
    void allowAnonymousFalseRefusesAnonymousHellosOnAServerWithoutAuthenticators() throws Exception {
        server = RoutingServer.create(ServerConfig.builder().host("127.0.0.1").port(0).clock(clock)
                .heartbeatInterval(Duration.ZERO).auth(AuthConfig.builder().allowAnonymous(false)
                        .failedAuthDelay(Duration.ZERO).build()).build(), registry);
        server.start();
        try (RawFrameClient c = raw()) {
            c.send(Frame.Hello.anonymous(ProtocolVersion.MIN, "anonymous"));
            assertFatalThenClosed(c, ErrorCode.AUTHENTICATION_FAILED);
        }
        assertThat(authFailures("no_credentials")).isEqualTo(1);
    }

    @Test
    void aServerWithoutAuthenticationRefusesToStartOnANonLoopbackHostUnlessAllowAnonymousIsSet() {
        Server open = Server.create(ServerConfig.builder().host("0.0.0.0").port(0).build());
        assertThatThrownBy(open::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("refusing to start: the server binds 0.0.0.0")
                .hasMessageContaining("allowAnonymous");

        try (Server allowed = Server.create(ServerConfig.builder().host("0.0.0.0").port(0)
                .auth(AuthConfig.builder().allowAnonymous(true).build()).build()).start()) {
            assertThat(allowed.address().getPort()).isPositive();
        }
        try (Server withTokens = Server.create(ServerConfig.builder().host("0.0.0.0").port(0)
                .auth(AuthConfig.builder().token("billing", TokenHashes.hash(BILLING_TOKEN)).build()).build()).start()) {
            assertThat(withTokens.address().getPort()).isPositive();
        }
        try (Server loopback = Server.create(ServerConfig.builder().host("127.0.0.1").port(0).build()).start()) {
            assertThat(loopback.address().getPort()).as("anonymous on loopback is the default").isPositive();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // JWT

    @ParameterizedTest
    @ValueSource(strings = {"HS256", "RS256", "ES256"})
    void aValidJwtOpensASessionThatExpiresAtItsExpAndEveryFailedCheckIs401(String algorithm) throws Exception {
        TestJwts issuer = TestJwts.create(algorithm);
        Instant exp = Instant.now().plusSeconds(600);
        start(a -> a.jwt(issuer.settings(dir)));

        try (RawFrameClient c = raw()) {
            Frame.Welcome w = welcomed(c, "jwt", issuer.token("carol", exp));
            assertThat(w.credentialsValidMillis()).as("EXPIRES: the time left").isBetween(1L, 600_000L);
            assertSessionWorks(c, 1, "carol.x");
        }

        Instant past = Instant.now().minusSeconds(1);
        TestJwts otherKey = TestJwts.create(algorithm);
        TestJwts otherAlgorithm = TestJwts.create(algorithm.equals("HS256") ? "ES256" : "HS256");
        Map<String, String> badJwts = new java.util.LinkedHashMap<>();
        badJwts.put("signed with another key", otherKey.token("carol", exp));
        badJwts.put("another algorithm", otherAlgorithm.token("carol", exp));
        badJwts.put("alg none", TestJwts.unsigned(TestJwts.claims("carol", exp).build()));
        badJwts.put("no exp", issuer.token(TestJwts.claims("carol", exp).expirationTime(null).build()));
        badJwts.put("nbf in the future", issuer.token("carol", exp, b -> b.notBeforeTime(TestJwts.date(exp.minusSeconds(60)))));
        badJwts.put("another issuer", issuer.token("carol", exp, b -> b.issuer("https://evil.example.test")));
        badJwts.put("another audience", issuer.token("carol", exp, b -> b.audience("someone-else")));
        badJwts.put("no sub", issuer.token(TestJwts.claims("carol", exp).subject(null).build()));
        badJwts.put("blank sub", issuer.token(TestJwts.claims("carol", exp).subject("  ").build()));
        badJwts.put("not a jwt", "not.a.jwt");
        badJwts.put("tampered claims", tamper(issuer.token("carol", exp)));
        if (!algorithm.equals("HS256")) {
            badJwts.put("HS256 with the public key as secret", issuer.hmacWithPublicKey(TestJwts.claims("carol", exp).build()));
        }
        for (Map.Entry<String, String> bad : badJwts.entrySet()) {
            try (RawFrameClient c = raw()) {
                c.send(hello("jwt", bad.getValue()));
                List<Frame> frames = c.readUntilClosed();
                assertThat(frames).as(bad.getKey()).hasSize(1);
                assertThat(((Frame.Error) frames.get(0)).errorCode()).as(bad.getKey()).isEqualTo(ErrorCode.AUTHENTICATION_FAILED);
            }
        }
        assertThat(authFailures("bad_jwt")).isEqualTo(badJwts.size());

        refused("jwt", issuer.token("carol", past));
        assertThat(authFailures("expired")).as("an expired token is counted as such").isEqualTo(1);
        assertBystanderWorks();
    }

    /** The same token with its payload changed (sub carol to mallory), the signature kept. */
    private static String tamper(String jwt) {
        String[] parts = jwt.split("\\.");
        String payload = new String(java.util.Base64.getUrlDecoder().decode(parts[1]), UTF_8).replace("carol", "mallory");
        return parts[0] + "." + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes(UTF_8))
                + "." + parts[2];
    }

    @Test
    void aJwtThatExpiresDuringASessionEndsItWith419AndOnlyIt() throws Exception {
        TestJwts issuer = TestJwts.create("HS256");
        String token = issuer.token("carol", Instant.now().plusSeconds(60));
        start(a -> a.jwt(issuer.settings(dir)));
        try (RawFrameClient c = raw()) {
            long valid = welcomed(c, "jwt", token).credentialsValidMillis();
            assertThat(valid).isBetween(1L, 60_000L);
            c.send(new Frame.Subscribe(1, "carol.x", null, false));

            clock.advance(Duration.ofMillis(valid - 1));
            assertThat(c.sync()).as("just before the expiry the session goes on").isEmpty();
            assertThat(server.sessionCount()).isEqualTo(2);

            clock.advance(Duration.ofMillis(2));
            Frame.Error e = assertFatalThenClosed(c, ErrorCode.CREDENTIALS_EXPIRED);
            assertThat(e.message()).contains("carol").contains("expired");
        }
        await().atMost(WAIT).until(() -> server.sessionCount() == 1);
        assertThat(errorsSent(ErrorCode.CREDENTIALS_EXPIRED)).isEqualTo(1);
        assertBystanderWorks();
    }

    @Test
    void eachAuthenticationAndRenewalWritesOneAuditLineNamingPrincipalAddressAndSchemeButNoSecret() throws Exception {
        TestJwts issuer = TestJwts.create("ES256");
        Instant now = Instant.now();
        String first = issuer.token("carol\nFORGED audit line", now.plusSeconds(60));
        String second = issuer.token("carol\nFORGED audit line", now.plusSeconds(600));
        start(a -> a.jwt(issuer.settings(dir)));
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        server.audit().tap(lines::add);
        try (RawFrameClient c = raw()) {
            Frame.Welcome w = welcomed(c, "jwt", first);
            c.send(new Frame.Auth("jwt", second.getBytes(UTF_8)));
            assertThat(c.sync()).singleElement().isInstanceOf(Frame.AuthOk.class);
            Client billing = Client.connect(ClientOptions.builder().endpoints("tcp://127.0.0.1:" + server.address().getPort())
                    .initialConnectJitter(Duration.ZERO).token(BILLING_TOKEN).build());
            clients.add(billing);
            await().atMost(WAIT).until(() -> lines.size() == 3); // written on the I/O thread, just after WELCOME
            assertThat(lines.get(0)).startsWith("authenticated principal=carol?FORGED audit line address=/127.0.0.1:")
                    .contains(" scheme=jwt session=" + w.sessionId() + " new expires=");
            assertThat(lines.get(1)).startsWith("renewed principal=carol?FORGED audit line address=/127.0.0.1:")
                    .contains(" scheme=jwt session=" + w.sessionId());
            assertThat(lines.get(2)).startsWith("authenticated principal=billing ").contains(" scheme=token ");
            assertThat(lines).allSatisfy(l -> assertThat(l).doesNotContain("\n").doesNotContain(first)
                    .doesNotContain(second).doesNotContain(BILLING_TOKEN)
                    .doesNotContain(java.util.HexFormat.of().formatHex(w.resumeToken().encoded())));
        }
    }

    @Test
    void aRenewalWithAFreshJwtCarriesTheSessionPastTheFirstExpiryUntilTheSecond() throws Exception {
        TestJwts issuer = TestJwts.create("ES256");
        Instant now = Instant.now();
        String first = issuer.token("carol", now.plusSeconds(60));
        String second = issuer.token("carol", now.plusSeconds(600));
        start(a -> a.jwt(issuer.settings(dir)));
        try (RawFrameClient c = raw()) {
            welcomed(c, "jwt", first);
            clock.advance(Duration.ofSeconds(30));
            c.send(new Frame.Auth("jwt", second.getBytes(UTF_8)));
            List<Frame> frames = c.sync();
            assertThat(frames).hasSize(1);
            long valid = ((Frame.AuthOk) frames.get(0)).credentialsValidMillis();
            assertThat(valid).as("the new token's time left").isBetween(60_000L, 570_000L);

            clock.advance(Duration.ofSeconds(60));
            assertThat(c.sync()).as("past the first token's exp the session goes on").isEmpty();
            assertSessionWorks(c, 1, "carol.renewed");

            clock.advance(Duration.ofMillis(valid));
            assertFatalThenClosed(c, ErrorCode.CREDENTIALS_EXPIRED);
        }
        assertThat(authFailures("expired") + authFailures("bad_jwt")).isZero();
        assertBystanderWorks();
    }

    @Test
    void aRenewalNamingAnotherPrincipalOrARefusedOneEndsTheSessionWith401() throws Exception {
        TestJwts issuer = TestJwts.create("HS256");
        Instant exp = Instant.now().plusSeconds(600);
        start(a -> a.jwt(issuer.settings(dir)));
        try (RawFrameClient c = raw()) {
            welcomed(c, "jwt", issuer.token("carol", exp));
            c.send(new Frame.Auth("jwt", issuer.token("mallory", exp).getBytes(UTF_8)));
            assertFatalThenClosed(c, ErrorCode.AUTHENTICATION_FAILED);
        }
        try (RawFrameClient c = raw()) {
            welcomed(c, "jwt", issuer.token("carol", exp));
            c.send(new Frame.Auth("jwt", TestJwts.create("HS256").token("carol", exp).getBytes(UTF_8)));
            assertFatalThenClosed(c, ErrorCode.AUTHENTICATION_FAILED);
        }
        assertThat(authFailures("wrong_principal")).isEqualTo(1);
        assertThat(authFailures("bad_jwt")).isEqualTo(1);
        await().atMost(WAIT).until(() -> server.sessionCount() == 1);
        assertBystanderWorks();
    }

    // ---------------------------------------------------------------------------------------------
    // Plug-ins

    /** Scheme {@code apikey}: "good" is principal plug (may publish only to plug.>), "late" expires in 5 s, "boom" throws. */
    private static final class ApiKeyAuthenticator implements Authenticator {
        final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        volatile AuthRequest lastRequest;

        @Override
        public String scheme() {
            return "apikey";
        }

        @Override
        public AuthResult authenticate(AuthRequest request) {
            calls.incrementAndGet();
            lastRequest = request;
            return switch (new String(request.credentials(), UTF_8)) {
                case "good" -> AuthResult.accepted(new Principal("plug",
                        new Permissions(List.of("plug.>"), null, null, null, false), null));
                case "late" -> AuthResult.accepted(new Principal("late", null, Instant.now().plusSeconds(5)));
                case "stale" -> AuthResult.accepted(new Principal("stale", null, Instant.now().minusSeconds(3600)));
                case "boom" -> throw new IllegalStateException("the key store is down");
                case "nothing" -> null;
                default -> AuthResult.refused("unknown api key");
            };
        }
    }

    @Test
    void aPlugInAuthenticatorAcceptsWithItsOwnPermissionsAndRefuses() throws Exception {
        ApiKeyAuthenticator plugin = new ApiKeyAuthenticator();
        start(a -> a.authenticator(plugin));
        try (RawFrameClient c = raw()) {
            assertThat(welcomed(c, "apikey", "good").credentialsValidMillis()).isZero();
            assertThat(plugin.lastRequest.transportName()).isEqualTo("tcp");
            assertThat(plugin.lastRequest.scheme()).isEqualTo("apikey");
            assertSessionWorks(c, 1, "plug.x");
            c.send(new Frame.Publish(0, false, MessageBody.of("other.x", null, Headers.EMPTY, new byte[1])));
            List<Frame> frames = c.sync();
            assertThat(frames).as("the plug-in's permissions apply").hasSize(1);
            assertThat(((Frame.Error) frames.get(0)).errorCode()).isEqualTo(ErrorCode.PERMISSION_DENIED);
            assertThat(((Frame.Error) frames.get(0)).message()).contains("'other.x'").contains("principal plug");
        }
        refused("apikey", "wrong");
        refused("apikey", "boom");
        refused("apikey", "nothing");
        refused("apikey", "stale");
        assertThat(authFailures("refused")).isEqualTo(1);
        assertThat(authFailures("error")).isEqualTo(2);
        assertThat(authFailures("expired")).isEqualTo(1);
        assertThat(plugin.calls.get()).isEqualTo(5);

        // A plug-in's principal with an expiry is held to it like a JWT's.
        try (RawFrameClient c = raw()) {
            long valid = welcomed(c, "apikey", "late").credentialsValidMillis();
            assertThat(valid).isPositive();
            clock.advance(Duration.ofMillis(valid + 1));
            assertFatalThenClosed(c, ErrorCode.CREDENTIALS_EXPIRED);
        }
        assertBystanderWorks();
    }

    @Test
    void aSecondAuthenticatorForABuiltInSchemeStopsTheServerFromBeingMade() {
        Authenticator token = new Authenticator() {
            @Override
            public String scheme() {
                return "token";
            }

            @Override
            public AuthResult authenticate(AuthRequest request) {
                return AuthResult.accepted(Principal.named("anyone"));
            }
        };
        ServerConfig config = ServerConfig.builder().host("127.0.0.1").port(0).auth(AuthConfig.builder()
                .token("billing", TokenHashes.hash(BILLING_TOKEN)).authenticator(token).build()).build();
        assertThatThrownBy(() -> Server.create(config)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("two authenticators for scheme 'token'");
    }

    // ---------------------------------------------------------------------------------------------
    // Failures: log, deadline

    @Test
    void authenticationFailureLinesAreHeldToTheLimitLogsRate() throws Exception {
        start(a -> a);
        int attempts = LimitLog.LINES_PER_WINDOW + 25;
        for (int i = 0; i < attempts; i++) {
            refused("token", "guess-" + i);
        }
        assertThat(authFailures("bad_token")).isEqualTo(attempts);
        assertThat(server.limitLog(ServerConnection.AUTH_LOG).suppressed())
                .as("lines left out of the log (at most %d per %d s)", LimitLog.LINES_PER_WINDOW, LimitLog.WINDOW_SECONDS)
                .isPositive();
        assertBystanderWorks();
    }

    /**
     * A refusal whose delayed 401 would fall after the handshake deadline: the connection gets the
     * 408 only, and the 401 that falls due later does not run on the closed connection (no second
     * error counted). One I/O thread runs both connections' timers in due order, so once the second
     * connection has its own 408, due after the first one's 401, that 401 has had its turn.
     */
    @Test
    void aRefusalNearTheHandshakeDeadlineGets408OnlyAndIsNotFailedTwice() throws Exception {
        Duration deadline = Duration.ofMillis(400);
        start(a -> a.failedAuthDelay(deadline), b -> b.ioThreads(1).handshakeTimeout(deadline));
        double handshakeFailures = registry.find("conduit.handshake.failures").counters().stream()
                .mapToDouble(Counter::count).sum();
        try (RawFrameClient late = raw()) {
            late.send(hello("token", "wrong"));
            await().atMost(WAIT).until(() -> authFailures("bad_token") == 1);
            try (RawFrameClient silent = raw()) {
                assertFatalThenClosed(silent, ErrorCode.HANDSHAKE_TIMEOUT);
            }
            assertFatalThenClosed(late, ErrorCode.HANDSHAKE_TIMEOUT);
        }
        assertThat(errorsSent(ErrorCode.AUTHENTICATION_FAILED)).as("401s counted").isZero();
        assertThat(errorsSent(ErrorCode.HANDSHAKE_TIMEOUT)).isEqualTo(2);
        assertThat(registry.find("conduit.handshake.failures").counters().stream().mapToDouble(Counter::count).sum()
                - handshakeFailures).as("one handshake failure per connection").isEqualTo(2);
        assertBystanderWorks();
    }
}
