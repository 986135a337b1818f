package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ResumeToken;
import dev.conduit.testkit.RawFrameClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Resume tokens are secrets: the public session id (as {@code $SYS.stats} shows it) with the
 * server's epoch resumes nothing, a token works once, refused resumes are rate limited per address,
 * and they leave no sessions behind. On a default server: loopback, anonymous.
 */
class ResumeTokenSecurityTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final StoppedClock clock = new StoppedClock();
    private RoutingServer server;

    @BeforeEach
    void start() {
        server = RoutingServer.create(ServerConfig.builder().host("127.0.0.1").port(0).clock(clock)
                .heartbeatInterval(Duration.ZERO).build());
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static Frame.Hello resume(String name, byte[] token, long lastReceived) {
        return new Frame.Hello(1, 1, name, "", new byte[0], token, lastReceived);
    }

    /** The token a client of the old protocol would send: the epoch, then the public session id. */
    private static byte[] idAndEpoch(long epoch, String sessionId) {
        byte[] id = sessionId.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + id.length).putLong(epoch).put(id).array();
    }

    /** A token for {@code sessionId} with a secret of the attacker's choosing. */
    private static byte[] forged(long epoch, String sessionId) {
        return ResumeToken.issue(epoch, sessionId, new java.util.Random(42)).encoded();
    }

    @Test
    void theSessionIdFromSysStatsAndTheEpochDoNotTakeASessionOver() throws Exception {
        try (RawFrameClient victim = new RawFrameClient(server.address());
             RawFrameClient attacker = new RawFrameClient(server.address())) {
            victim.send(Frame.Hello.anonymous(1, "victim"));
            Frame.Welcome vw = (Frame.Welcome) victim.next();
            victim.send(new Frame.Subscribe(1, "v.orders", null, false));
            assertThat(victim.sync()).isEmpty();

            attacker.send(Frame.Hello.anonymous(1, "attacker"));
            Frame.Welcome aw = (Frame.Welcome) attacker.next();
            JsonNode stats = new ObjectMapper().valueToTree(server.stats().snapshot(clock.nanoTime()));
            String statsText = stats.toString();
            String victimId = null;
            for (JsonNode row : stats.at("/sessionList/rows")) {
                if (row.get("client").asText().equals("victim")) {
                    victimId = row.get("id").asText();
                }
            }
            assertThat(victimId).as("$SYS.stats names the victim's public id").isEqualTo(vw.sessionId());
            assertThat(statsText).as("but never its secret")
                    .doesNotContain(HexFormat.of().formatHex(vw.resumeToken().encoded(), 8, 40))
                    .doesNotContain(java.util.Base64.getEncoder().encodeToString(vw.resumeToken().encoded()));

            for (byte[] guess : List.of(idAndEpoch(aw.epoch(), victimId), forged(aw.epoch(), victimId))) {
                try (RawFrameClient thief = new RawFrameClient(server.address())) {
                    thief.send(resume("thief", guess, 0));
                    Frame refusal = thief.next();
                    assertThat(refusal).isInstanceOfSatisfying(Frame.Error.class, e -> {
                        assertThat(e.errorCode()).isEqualTo(ErrorCode.SESSION_NOT_RESUMED);
                        assertThat(e.fatal()).isFalse();
                    });
                    Frame.Welcome tw = (Frame.Welcome) thief.next();
                    assertThat(tw.resumed()).isFalse();
                    assertThat(tw.sessionId()).isNotEqualTo(victimId);
                }
            }

            // The victim's session is untouched: still attached, still receiving.
            attacker.send(new Frame.Publish(0, false, MessageBody.of("v.orders", null, Headers.EMPTY, new byte[] {7})));
            assertThat(attacker.sync()).isEmpty();
            assertThat(victim.next()).isInstanceOfSatisfying(Frame.Message.class,
                    m -> assertThat(m.body().subject()).isEqualTo("v.orders"));
            assertThat(victim.sync()).isEmpty();
        }
    }

    @Test
    void aTokenWorksOnceAndEachResumeBringsANewOne() throws Exception {
        Frame.Welcome first;
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(Frame.Hello.anonymous(1, "owner"));
            first = (Frame.Welcome) c.next();
            assertThat(c.sync()).isEmpty();
        }
        await().atMost(WAIT).until(() -> server.connectionCount() == 0);
        Frame.Welcome second;
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(resume("owner", first.resumeToken().encoded(), 0));
            second = (Frame.Welcome) c.next();
            assertThat(second.resumed()).isTrue();
            assertThat(second.sessionId()).isEqualTo(first.sessionId());
            assertThat(second.inboxPrefix()).as("a resumed session keeps its inbox").isEqualTo(first.inboxPrefix());
            assertThat(second.resumeToken().sameSecret(first.resumeToken())).as("a new secret").isFalse();
            assertThat(c.sync()).isEmpty();
        }
        await().atMost(WAIT).until(() -> server.connectionCount() == 0);
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(resume("replay", first.resumeToken().encoded(), 0));
            assertThat(((Frame.Error) c.next()).errorCode()).isEqualTo(ErrorCode.SESSION_NOT_RESUMED);
            assertThat(((Frame.Welcome) c.next()).resumed()).as("the used token is refused").isFalse();
        }
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(resume("owner", second.resumeToken().encoded(), 0));
            assertThat(((Frame.Welcome) c.next()).resumed()).as("the refusal left the session to its owner").isTrue();
        }
    }

    @Test
    void aResumeWhoseWelcomeWasNeverReadLeavesTheTokenUsedValidUntilTheClientSpeaks() throws Exception {
        Frame.Welcome first;
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(Frame.Hello.anonymous(1, "owner"));
            first = (Frame.Welcome) c.next();
            assertThat(c.sync()).isEmpty();
        }
        await().atMost(WAIT).until(() -> server.connectionCount() == 0);
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(resume("owner", first.resumeToken().encoded(), 0));
            // cut before the client could read the WELCOME and its new token: it never sends a frame here
        }
        await().atMost(WAIT).until(() -> server.connectionCount() == 0);
        Frame.Welcome third;
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(resume("owner", first.resumeToken().encoded(), 0));
            third = (Frame.Welcome) c.next();
            assertThat(third.resumed()).as("the token it holds still resumes it").isTrue();
            assertThat(c.sync()).isEmpty(); // it has read this WELCOME: the older token is done
        }
        await().atMost(WAIT).until(() -> server.connectionCount() == 0);
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(resume("replay", first.resumeToken().encoded(), 0));
            assertThat(((Frame.Error) c.next()).errorCode()).isEqualTo(ErrorCode.SESSION_NOT_RESUMED);
        }
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(resume("owner", third.resumeToken().encoded(), 0));
            assertThat(((Frame.Welcome) c.next()).resumed()).isTrue();
        }
    }

    @Test
    void refusedResumesLeaveNoDetachedSession() throws Exception {
        long epoch;
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(Frame.Hello.anonymous(1, "probe"));
            epoch = ((Frame.Welcome) c.next()).epoch();
            c.send(new Frame.GoAway(200, 0, ""));
            c.readUntilClosed();
        }
        await().atMost(WAIT).until(() -> server.sessionCount() == 0);
        for (int i = 0; i < 5; i++) {
            try (RawFrameClient c = new RawFrameClient(server.address())) {
                c.send(resume("guess", forged(epoch, "no-such-session-" + i), 0));
                assertThat(((Frame.Error) c.next()).errorCode()).isEqualTo(ErrorCode.SESSION_NOT_RESUMED);
                assertThat(((Frame.Welcome) c.next()).resumed()).isFalse();
            } // dropped without a goodbye, having sent nothing sequenced
        }
        await().atMost(WAIT).until(() -> server.connectionCount() == 0);
        await().atMost(WAIT).untilAsserted(() -> assertThat(server.sessionCount()).isZero());

        // A client that used its new session (after a server restart, say) keeps it for a resume.
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(resume("restarted", forged(epoch, "gone"), 0));
            c.next();
            c.next();
            c.send(new Frame.Subscribe(1, "x", null, false));
            assertThat(c.sync()).isEmpty();
        }
        await().atMost(WAIT).until(() -> server.connectionCount() == 0);
        assertThat(server.sessionCount()).isEqualTo(1);
    }

    @Test
    void refusedResumesAreRateLimitedPerAddress() throws Exception {
        long epoch;
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(Frame.Hello.anonymous(1, "probe"));
            epoch = ((Frame.Welcome) c.next()).epoch();
        }
        for (int i = 0; i < ResumeAttempts.BURST; i++) {
            try (RawFrameClient c = new RawFrameClient(server.address())) {
                c.send(resume("guess", forged(epoch, "s" + i), 0));
                assertThat(((Frame.Error) c.next()).errorCode()).as("guess %d", i).isEqualTo(ErrorCode.SESSION_NOT_RESUMED);
                assertThat(c.next()).isInstanceOf(Frame.Welcome.class);
            }
        }
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(resume("guess", forged(epoch, "one-too-many"), 0));
            List<Frame> frames = c.readUntilClosed();
            assertThat(frames).hasSize(1).first().isInstanceOfSatisfying(Frame.Error.class, e -> {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.RATE_LIMITED);
                assertThat(e.fatal()).isTrue();
            });
        }
        // A new session from the same address is not a resume: not limited.
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(Frame.Hello.anonymous(1, "fresh"));
            assertThat(c.next()).isInstanceOf(Frame.Welcome.class);
        }
        // One token a second comes back.
        clock.advanceNanos(TimeUnit.SECONDS.toNanos(1));
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(resume("guess", forged(epoch, "later"), 0));
            assertThat(((Frame.Error) c.next()).errorCode()).isEqualTo(ErrorCode.SESSION_NOT_RESUMED);
        }
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(resume("guess", forged(epoch, "again"), 0));
            assertThat(((Frame.Error) c.next()).errorCode()).isEqualTo(ErrorCode.RATE_LIMITED);
        }
    }

    @Test
    void aBucketPerAddressBoundedInCount() {
        ResumeAttempts attempts = new ResumeAttempts(clock);
        for (int i = 0; i < ResumeAttempts.BURST; i++) {
            assertThat(attempts.allowed("10.0.0.1")).isTrue();
            attempts.refused("10.0.0.1");
        }
        assertThat(attempts.allowed("10.0.0.1")).isFalse();
        assertThat(attempts.allowed("10.0.0.2")).as("another address").isTrue();
        for (int i = 0; i < 3 * ResumeAttempts.BURST; i++) {
            attempts.refused("10.0.0.1"); // refusals beyond empty add no more debt than an empty bucket
        }
        clock.advanceNanos(TimeUnit.SECONDS.toNanos(1));
        assertThat(attempts.allowed("10.0.0.1")).isTrue();
        for (int i = 0; i <= ResumeAttempts.MAX_ADDRESSES; i++) {
            attempts.refused("a" + i);
        }
        assertThat(attempts.tracked()).isLessThanOrEqualTo(ResumeAttempts.MAX_ADDRESSES);
    }
}
