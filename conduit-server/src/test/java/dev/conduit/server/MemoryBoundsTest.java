package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.testkit.ManualClock;
import dev.conduit.testkit.RawFrameClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The server-wide bounds of {@link MemoryLimits} over raw sockets: the detached-session cap (count
 * and bytes) with eviction reported as a lost session, and the {@code maxMemory} budget. The resume
 * window runs on a {@link ManualClock}, so detached sessions stay until the test ends them.
 */
class MemoryBoundsTest {
    private final ManualClock clock = ManualClock.create();
    private RoutingServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private RoutingServer start(UnaryOperator<ServerConfig.Builder> tweak) {
        server = (RoutingServer) Server.create(tweak.apply(ServerConfig.builder().port(0).ioThreads(2).clock(clock)
                .resumeWindow(Duration.ofMinutes(10)).heartbeatInterval(Duration.ofHours(1))
                .drainTimeout(Duration.ofSeconds(1))).build()).start();
        return server;
    }

    private static Frame.Publish publish(String subject, int bytes) {
        return new Frame.Publish(0, false, MessageBody.of(subject, null, Headers.EMPTY, new byte[bytes]));
    }

    /** Opens a session and drops its connection without a goodbye; returns its WELCOME. */
    private Frame.Welcome detachedSession(String name, String subscribeTo) throws Exception {
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(Frame.Hello.anonymous(1, name));
            Frame.Welcome w = (Frame.Welcome) c.next();
            if (subscribeTo != null) {
                c.send(new Frame.Subscribe(1, subscribeTo, null));
                assertThat(c.sync()).isEmpty();
            }
            return w;
        }
    }

    private Frame resume(Frame.Welcome w) throws Exception {
        try (RawFrameClient c = new RawFrameClient(server.address())) {
            c.send(new Frame.Hello(1, 1, "again", "", new byte[0], w.resumeToken().encoded(), 0));
            return c.next();
        }
    }

    @Test
    void theDetachedSessionCapHoldsEndingTheOldestAndEachEvictedClientIsTold410() throws Exception {
        start(b -> b.maxDetachedSessions(20));
        List<RawFrameClient> clients = new ArrayList<>();
        List<Frame.Welcome> sessions = new ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) {
                RawFrameClient c = new RawFrameClient(server.address());
                clients.add(c);
                c.send(Frame.Hello.anonymous(1, "s" + i));
            }
            for (RawFrameClient c : clients) {
                sessions.add((Frame.Welcome) c.next());
            }
        } finally {
            // No goodbye: each session detaches. The first ten one by one, so they are the oldest.
            for (int i = 0; i < clients.size(); i++) {
                clients.get(i).close();
                if (i < 10 || i == clients.size() - 2) {
                    int closed = i + 1;
                    await().atMost(Duration.ofSeconds(30)).until(() -> server.sessionsIn(ServerSession.State.ATTACHED)
                            == clients.size() - closed);
                }
            }
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> server.metrics().sessionsEvicted() == 280);
        assertThat(server.meterRegistry().find("conduit.sessions.evicted").counter().count()).isEqualTo(280);
        assertThat(server.sessionsIn(ServerSession.State.DETACHED)).isEqualTo(20);
        assertThat(server.budget().detachedCount()).isEqualTo(20);
        assertThat(server.sessionCount()).isEqualTo(20);

        // The newest are kept; the oldest was ended and its client is told why.
        Frame.Error lost = (Frame.Error) resume(sessions.get(0));
        assertThat(lost.errorCode()).isEqualTo(ErrorCode.SESSION_NOT_RESUMED);
        assertThat(lost.fatal()).isFalse();
        assertThat(lost.message()).contains("evicted").contains("maxDetachedSessions");
        Frame.Welcome kept = (Frame.Welcome) resume(sessions.get(299));
        assertThat(kept.resumed()).isTrue();
    }

    @Test
    void detachedSessionsHoldingMoreThanMaxDetachedBytesAreEndedOldestFirst() throws Exception {
        start(b -> b.maxPayloadBytes(2000).maxHeaderBytes(1024).maxPendingBytesPerSession(64 << 10).maxDetachedBytes(10_000));
        Frame.Welcome first = detachedSession("first", "feed");
        Frame.Welcome second = detachedSession("second", "feed");
        await().atMost(Duration.ofSeconds(30)).until(() -> server.budget().detachedCount() == 2);
        try (RawFrameClient pub = RawFrameClient.open(server.address())) {
            for (int i = 0; i < 3; i++) {
                pub.send(publish("feed", 1000)); // about 1 KiB for each detached session
            }
            assertThat(pub.sync()).isEmpty();
            // Each detached session's writer numbers and holds its copies on its own thread.
            await().atMost(Duration.ofSeconds(30)).until(() -> server.budget().detachedBytes() >= 6_000);
            clock.advance(Duration.ZERO);
            assertThat(server.metrics().sessionsEvicted()).as("6 KiB held: under the bound").isZero();
            for (int i = 0; i < 3; i++) {
                pub.send(publish("feed", 1000));
            }
            assertThat(pub.sync()).isEmpty();
            // The eviction a delivery asked for runs on the clock, once the writers have held the copies.
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                clock.advance(Duration.ZERO);
                return server.metrics().sessionsEvicted() == 1;
            });
        }
        // The evicted session's writer frees what it held after the eviction is counted, on its own thread.
        await().atMost(Duration.ofSeconds(30)).until(() -> server.budget().detachedBytes() <= 10_000);
        assertThat(((Frame.Error) resume(first)).message()).contains("maxDetachedBytes");
        assertThat(((Frame.Welcome) resume(second)).resumed()).isTrue();
    }

    @Test
    void overMaxMemoryOnlyTheSessionHoldingMoreThanItsShareIsSkippedTheOtherGetsEverything() throws Exception {
        start(b -> b.maxPayloadBytes(2000).maxHeaderBytes(1024).maxPendingBytesPerSession(64 << 10).maxMemory(32 << 10));
        try (RawFrameClient pub = RawFrameClient.open(server.address());
             RawFrameClient slow = RawFrameClient.open(server.address());
             RawFrameClient fast = RawFrameClient.open(server.address())) {
            slow.send(new Frame.Subscribe(1, "feed", null));
            fast.send(new Frame.Subscribe(1, "feed", null));
            assertThat(slow.sync()).isEmpty();
            assertThat(fast.sync()).isEmpty();
            long fastSeq = 0;
            for (int step = 0; step < 20; step++) {
                for (int i = 0; i < 10; i++) {
                    pub.send(publish("feed", 1000));
                }
                assertThat(pub.sync()).isEmpty();
                for (int i = 0; i < 10; i++) {
                    Frame f = fast.next();
                    assertThat(f).as("the fast subscriber is never skipped").isInstanceOf(Frame.Message.class);
                    fastSeq = ((Frame.Message) f).sequence();
                }
                fast.send(new Frame.Ack(fastSeq));
                assertThat(fast.sync()).isEmpty();
            }
            assertThat(fastSeq).isEqualTo(200);
            // The slow one (it never acknowledges) was held by the server's budget, not its own 64 KiB.
            ServerSession slowSession = server.sessionList().stream()
                    .max(java.util.Comparator.comparingLong(ServerSession::bufferedBytes)).orElseThrow();
            assertThat(slowSession.bufferedBytes()).isBetween((32 << 10) / 3L, (32 << 10) + 1100L);
            assertThat(server.budget().refusedCount()).isPositive();
            assertThat(server.budget().heldBytes()).isLessThanOrEqualTo((32 << 10) + 1100);
            assertThat(server.slowConsumerCounts()[0]).isPositive();
            // Once it reads and acknowledges what it holds, it is told how many it missed: nothing unaccounted.
            List<Frame> held = slow.sync();
            slow.send(new Frame.Ack(held.size())); // every frame held is sequenced: MESSAGE or GAP
            held.addAll(slow.sync());
            long messages = held.stream().filter(f -> f instanceof Frame.Message).count();
            long skipped = held.stream().filter(f -> f instanceof Frame.Gap).mapToLong(f -> ((Frame.Gap) f).dropped()).sum();
            assertThat(skipped).isPositive();
            assertThat(messages + skipped).isEqualTo(200);
        }
    }
}
