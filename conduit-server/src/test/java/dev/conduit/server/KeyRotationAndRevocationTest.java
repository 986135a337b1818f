package dev.conduit.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolVersion;
import dev.conduit.testkit.ManualClock;
import dev.conduit.testkit.RawFrameClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys and revocation without a restart: JWT keys from a JWKS file picked by {@code kid} and rotated
 * on disk, a revocation file that closes live sessions it names within one reload interval and
 * refuses their next handshakes, static tokens that expire, and the audit line of each such close.
 * Time is a {@link ManualClock}: advancing it by the reload interval runs the file check (on a virtual
 * thread, as file reads block), which the test then waits for by its effect, never by sleeping.
 */
class KeyRotationAndRevocationTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration RELOAD = Duration.ofSeconds(10);
    private static final String CAROL_TOKEN = "carol-static-token-0123456789abcdef";

    @TempDir
    Path dir;

    private final ManualClock clock = ManualClock.create();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<String> audit = new CopyOnWriteArrayList<>();
    private RoutingServer server;

    private RoutingServer start(UnaryOperator<AuthConfig.Builder> auth) {
        AuthConfig a = auth.apply(AuthConfig.builder().failedAuthDelay(Duration.ZERO).reloadInterval(RELOAD)
                .token("carol", TokenHashes.hash(CAROL_TOKEN))).build();
        server = RoutingServer.create(ServerConfig.builder().host("127.0.0.1").port(0).ioThreads(2).httpPort(-1)
                .clock(clock).heartbeatInterval(Duration.ZERO).drainTimeout(Duration.ofSeconds(1)).auth(a).build(),
                registry);
        server.audit().tap(audit::add);
        server.start();
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private RawFrameClient raw() throws Exception {
        return new RawFrameClient(server.address());
    }

    private static Frame.Hello hello(String scheme, String credentials) {
        return new Frame.Hello(ProtocolVersion.MIN, ProtocolVersion.MAX, "rotation-test", scheme,
                credentials.getBytes(UTF_8), new byte[0], 0);
    }

    /** Opens a session with these credentials, checking that it is welcomed. */
    private RawFrameClient welcomed(String scheme, String credentials) throws Exception {
        RawFrameClient c = raw();
        c.send(hello(scheme, credentials));
        assertThat(c.next()).as("answer to a HELLO with scheme %s", scheme).isInstanceOf(Frame.Welcome.class);
        return c;
    }

    /** A HELLO with these credentials is answered with a fatal 401 and the close; returns the ERROR. */
    private Frame.Error refused(String scheme, String credentials) throws Exception {
        try (RawFrameClient c = raw()) {
            c.send(hello(scheme, credentials));
            return fatalThenClosed(c, ErrorCode.AUTHENTICATION_FAILED);
        }
    }

    private static Frame.Error fatalThenClosed(RawFrameClient c, ErrorCode code) throws Exception {
        List<Frame> frames = c.readUntilClosed();
        assertThat(frames).as("frames before the close").hasSize(1);
        Frame.Error e = (Frame.Error) frames.getFirst();
        assertThat(e.errorCode()).isEqualTo(code);
        assertThat(e.fatal()).isTrue();
        return e;
    }

    private static void assertSessionWorks(RawFrameClient c, int sid, String subject) throws Exception {
        c.send(new Frame.Subscribe(sid, subject, null, false));
        c.send(new Frame.Publish(0, false, MessageBody.of(subject, null, Headers.EMPTY, "ok".getBytes(UTF_8))));
        assertThat(c.sync()).as("frames after subscribing and publishing to %s", subject).singleElement()
                .isInstanceOf(Frame.Message.class);
    }

    private double authFailures(String reason) {
        Counter c = registry.find("conduit.auth.failures").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    /** Replaces {@code file} in one step, as a deployment tool would. */
    private void replace(Path file, String text) throws Exception {
        Path tmp = Files.writeString(dir.resolve(file.getFileName() + ".tmp"), text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    // ---------------------------------------------------------------------------------------------
    // JWKS

    private static ECKey key(String kid) throws Exception {
        return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
    }

    private static String jwks(ECKey... keys) {
        return new JWKSet(List.<JWK>of(keys)).toString(); // public parts only
    }

    private static String token(ECKey key, String kid, String sub, String jti) throws Exception {
        return TestJwts.sign(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(kid).build(),
                TestJwts.claims(sub, Instant.now().plusSeconds(3600)).jwtID(jti).build(), new ECDSASigner(key));
    }

    private void awaitKeyIds(String... kids) {
        await().atMost(WAIT).until(() -> server.authentication().keySet().current().getKeys().stream()
                .map(JWK::getKeyID).toList().equals(List.of(kids)));
    }

    @Test
    void aJwksRotationNeedsNoRestartAndNoHandshakeWithTheCurrentKeyFails() throws Exception {
        ECKey k1 = key("k1");
        ECKey k2 = key("k2");
        Path file = Files.writeString(dir.resolve("keys.jwks"), jwks(k1));
        start(a -> a.jwt(new JwtSettings("ES256", null, null, TestJwts.ISSUER, TestJwts.AUDIENCE, file)));

        RawFrameClient old = welcomed("jwt", token(k1, "k1", "alice", null));
        refused("jwt", token(k2, "k2", "alice", null)); // not published yet
        assertThat(authFailures("bad_jwt")).isEqualTo(1);

        // Step 1: the new key is published beside the old one. Both work.
        replace(file, jwks(k1, k2));
        clock.advance(RELOAD);
        awaitKeyIds("k1", "k2");
        welcomed("jwt", token(k1, "k1", "alice", null)).close();
        welcomed("jwt", token(k2, "k2", "alice", null)).close();

        // Step 2: the old key is withdrawn. Its tokens are refused; the current key's still work.
        replace(file, jwks(k2));
        clock.advance(RELOAD);
        awaitKeyIds("k2");
        Frame.Error e = refused("jwt", token(k1, "k1", "alice", null));
        assertThat(e.message()).isEqualTo("authentication failed"); // the reason is for the log, not the peer
        welcomed("jwt", token(k2, "k2", "alice", null)).close();
        // A kid that names no key, and a token signed by another key under the current kid, are refused.
        refused("jwt", token(key("k3"), "k3", "alice", null));
        refused("jwt", token(key("k2"), "k2", "alice", null));
        assertThat(authFailures("bad_jwt")).isEqualTo(4);

        // A file that is not a key set leaves the last good set in force.
        replace(file, "{\"keys\": [oops");
        clock.advance(RELOAD);
        welcomed("jwt", token(k2, "k2", "alice", null)).close();
        ECKey k4 = key("k4");
        replace(file, jwks(k2, k4)); // checks run one after another: this one comes after the bad file's
        clock.advance(RELOAD);
        awaitKeyIds("k2", "k4");
        welcomed("jwt", token(k4, "k4", "alice", null)).close();

        // A session opened with the withdrawn key is not cut: its token stays valid until its exp.
        assertSessionWorks(old, 1, "alice.x");
        old.close();
    }

    @Test
    void aJwksSettingIsCheckedWhenTheConfigIsBuilt() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.jwks"), "{\"keys\": []}");
        assertThatThrownBy(() -> AuthConfig.builder().jwt(new JwtSettings("ES256", null, null, null, null, empty)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holds no EC public key");
        Path rsaOnly = Files.writeString(dir.resolve("rsa.jwks"), new JWKSet(
                new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID("r").generate()).toString());
        assertThatThrownBy(() -> AuthConfig.builder().jwt(new JwtSettings("ES256", null, null, null, null, rsaOnly)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holds no EC public key");
        assertThatThrownBy(() -> new JwtSettings("ES256", null, empty, null, null, empty))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not both");
        assertThatThrownBy(() -> new JwtSettings("HS256", "x".repeat(32), null, null, null, empty))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------------------------------------
    // Revocation

    @Test
    void aRevocationClosesTheLiveSessionsItNamesWithinOneIntervalAndRefusesTheirNextHandshakes() throws Exception {
        ECKey k = key("k");
        Path keys = Files.writeString(dir.resolve("keys.jwks"), jwks(k));
        Path revoked = Files.writeString(dir.resolve("revoked.yaml"), "tokenIds: []\n");
        start(a -> a.jwt(new JwtSettings("ES256", null, null, TestJwts.ISSUER, TestJwts.AUDIENCE, keys))
                .revocationFile(revoked));
        String stolen = token(k, "k", "alice", "jti-stolen");
        String fresh = token(k, "k", "alice", "jti-fresh");
        String mallorys = token(k, "k", "mallory", "jti-m");
        RawFrameClient alice = welcomed("jwt", stolen);
        RawFrameClient aliceAgain = welcomed("jwt", fresh);
        RawFrameClient mallory = welcomed("jwt", mallorys);
        RawFrameClient carol = welcomed("token", CAROL_TOKEN);
        assertThat(server.sessionCount()).isEqualTo(4);

        replace(revoked, "tokenIds: [jti-stolen]\nsubjects: [mallory]\n");
        clock.advance(RELOAD); // one reload interval
        Frame.Error e = fatalThenClosed(alice, ErrorCode.AUTHENTICATION_FAILED);
        assertThat(e.message()).contains("revoked");
        fatalThenClosed(mallory, ErrorCode.AUTHENTICATION_FAILED);
        await().atMost(WAIT).until(() -> server.sessionCount() == 2);
        assertSessionWorks(aliceAgain, 1, "alice.y"); // her other token is not revoked
        assertSessionWorks(carol, 1, "carol.x");

        refused("jwt", stolen);
        refused("jwt", token(k, "k", "mallory", "jti-other"));
        assertThat(authFailures(Authentication.REVOKED)).isEqualTo(2);
        await().atMost(WAIT).until(() -> audit.stream().filter(l -> l.startsWith("closed ")).count() == 2);
        assertThat(audit).filteredOn(l -> l.startsWith("closed "))
                .anySatisfy(l -> assertThat(l).startsWith("closed principal=alice address=/127.0.0.1:")
                        .contains(" scheme=jwt ").contains(" reason=revoked tokenId=jti-stolen"))
                .anySatisfy(l -> assertThat(l).startsWith("closed principal=mallory "));

        // A static token is revoked by its hash, as the audit log shows it.
        assertThat(audit).anySatisfy(l -> assertThat(l).startsWith("authenticated principal=carol ")
                .contains(" tokenId=" + TokenHashes.hash(CAROL_TOKEN)));
        replace(revoked, "tokenIds: [\"" + TokenHashes.hash(CAROL_TOKEN) + "\"]\n");
        clock.advance(RELOAD);
        fatalThenClosed(carol, ErrorCode.AUTHENTICATION_FAILED);
        refused("token", CAROL_TOKEN);
        // Taking an entry off the list lets its credentials in again.
        welcomed("jwt", stolen).close();
        aliceAgain.close();
    }

    @Test
    void aRevocationFileIsCheckedWhenTheConfigIsBuiltAndABadOneLaterKeepsTheLastGoodList() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.yaml"), "tokenId: [x]\n");
        assertThatThrownBy(() -> AuthConfig.builder().token("carol", TokenHashes.hash(CAROL_TOKEN)).revocationFile(bad)
                .build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown key 'tokenId'");
        Path revoked = Files.writeString(dir.resolve("revoked.yaml"), "subjects: [carol]\n");
        start(a -> a.revocationFile(revoked));
        refused("token", CAROL_TOKEN);
        replace(revoked, "subjects: carol\n"); // not a list: refused, the last good list stays
        clock.advance(RELOAD);
        clock.advance(RELOAD);
        refused("token", CAROL_TOKEN);
        assertThat(server.authentication().revocations().subjects()).containsExactly("carol");
    }

    // ---------------------------------------------------------------------------------------------
    // Static tokens with an expiry

    @Test
    void anExpiringStaticTokenEndsItsSessionWith419WhenItExpiresAndIsRefusedAfter() throws Exception {
        String token = "dave-static-token-0123456789abcdef";
        start(a -> a.token("dave", TokenHashes.hash(token), Instant.now().plusSeconds(60)));
        RawFrameClient dave = raw();
        dave.send(hello("token", token));
        Frame.Welcome w = (Frame.Welcome) dave.next();
        assertThat(w.credentialsValidMillis()).isBetween(1L, 60_000L);
        RawFrameClient carol = welcomed("token", CAROL_TOKEN);

        clock.advance(Duration.ofMillis(w.credentialsValidMillis() - 1));
        assertSessionWorks(dave, 1, "dave.x");
        clock.advance(Duration.ofMillis(2));
        Frame.Error e = fatalThenClosed(dave, ErrorCode.CREDENTIALS_EXPIRED);
        assertThat(e.message()).contains("dave").contains("expired");
        refused("token", token);
        assertThat(authFailures(Authentication.EXPIRED)).isEqualTo(1);
        assertSessionWorks(carol, 1, "carol.x");
        await().atMost(WAIT).until(() -> audit.stream().anyMatch(l -> l.startsWith("closed principal=dave ")));
        assertThat(audit).filteredOn(l -> l.startsWith("closed ")).singleElement().satisfies(l -> assertThat(l)
                .contains(" scheme=token ").contains(" reason=expired").doesNotContain(token));
        carol.close();
    }

    @Test
    void theYamlSectionTakesKeySetsRevocationFilesTheReloadIntervalAndTokenExpiries() throws Exception {
        Files.writeString(dir.resolve("keys.jwks"), jwks(key("k")));
        Files.writeString(dir.resolve("revoked.yaml"), "");
        Path yaml = Files.writeString(dir.resolve("conduit.yaml"), """
                auth:
                  reloadInterval: 3s
                  revocationFile: revoked.yaml
                  tokens:
                    - principal: dave
                      hash: "%s"
                      expires: 2027-01-31T00:00:00Z
                  jwt:
                    algorithm: ES256
                    jwks: keys.jwks
                """.formatted(TokenHashes.hash("dave-static-token-0123456789abcdef")));
        AuthConfig auth = ServerConfig.load(yaml).build().auth();
        assertThat(auth.reloadInterval()).isEqualTo(Duration.ofSeconds(3));
        assertThat(auth.revocationFile()).isEqualTo(dir.toAbsolutePath().resolve("revoked.yaml"));
        assertThat(auth.jwt().jwks()).isEqualTo(dir.toAbsolutePath().resolve("keys.jwks"));
        assertThat(auth.staticTokens()).singleElement().extracting(AuthConfig.StaticToken::expiresAt)
                .isEqualTo(Instant.parse("2027-01-31T00:00:00Z"));
        assertThat(ServerConfig.builder().set("authReloadInterval", "0s", "test").build().auth().reloadInterval())
                .isZero();
    }
}
