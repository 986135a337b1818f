package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.testkit.ManualClock;
import dev.conduit.testkit.RawFrameClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Queue groups prefer live members: a member whose connection dropped gets no new work while
 * another member is attached, and the requests it held are failed fast (NO_RESPONDERS) when its
 * session ends. Raw sockets; the resume window runs on a {@link ManualClock}.
 */
class QueueGroupLivenessTest {
    private final ManualClock clock = ManualClock.create();
    private Server server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private Server start() {
        server = Server.create(ServerConfig.builder().port(0).ioThreads(2).clock(clock)
                .resumeWindow(Duration.ofMinutes(1)).heartbeatInterval(Duration.ofHours(1))
                .drainTimeout(Duration.ofSeconds(1)).build()).start();
        return server;
    }

    private static Frame.Publish request(String subject, String replyTo) {
        return new Frame.Publish(0, true, MessageBody.of(subject, replyTo, Headers.EMPTY, new byte[] {1}));
    }

    private int detached() {
        return ((RoutingServer) server).sessionsIn(ServerSession.State.DETACHED);
    }

    @Test
    void requestsGoToTheLiveMemberAndThoseTheDroppedOneHeldFailFastWhenItsSessionEnds() throws Exception {
        start();
        try (RawFrameClient requester = RawFrameClient.open(server.address());
             RawFrameClient live = RawFrameClient.open(server.address())) {
            requester.send(new Frame.Subscribe(1, "replies.r.*", null));
            live.send(new Frame.Subscribe(1, "svc", "workers"));
            assertThat(requester.sync()).isEmpty();
            assertThat(live.sync()).isEmpty();
            String held;
            try (RawFrameClient dropped = RawFrameClient.open(server.address())) {
                dropped.send(new Frame.Subscribe(1, "svc", "workers"));
                assertThat(dropped.sync()).isEmpty();
                // Round robin over two attached members: one request each.
                requester.send(request("svc", "replies.r.1"), request("svc", "replies.r.2"));
                assertThat(requester.sync()).isEmpty();
                Frame.Message m = (Frame.Message) dropped.next();
                held = m.body().replyTo();
                assertThat(((Frame.Message) live.next()).body().replyTo()).isNotEqualTo(held);
                // closed without GOAWAY and without acknowledging the request it holds
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> detached() == 1);

            for (int i = 3; i < 13; i++) {
                requester.send(request("svc", "replies.r." + i));
            }
            assertThat(requester.sync()).as("nothing is refused while a member is live").isEmpty();
            List<String> got = new ArrayList<>();
            for (int i = 3; i < 13; i++) {
                got.add(((Frame.Message) live.next()).body().replyTo());
            }
            assertThat(got).as("every new request goes to the attached member").hasSize(10).doesNotHaveDuplicates();
            assertThat(live.sync()).isEmpty();

            clock.advance(Duration.ofMinutes(1)); // the dropped member's resume window ends
            assertThat(detached()).isZero();
            assertThat(requester.next()).as("the request the dropped member held fails at once")
                    .isEqualTo(new Frame.NoResponders(held));
            assertThat(requester.sync()).isEmpty();
            assertThat(((RoutingServer) server).metrics().requestsUnanswered()).isEqualTo(1);
        }
    }

    @Test
    void whenEveryMemberIsDetachedOneHoldsTheRequestForItsResume() throws Exception {
        start();
        try (RawFrameClient requester = RawFrameClient.open(server.address())) {
            requester.send(new Frame.Subscribe(1, "replies.r.*", null));
            assertThat(requester.sync()).isEmpty();
            Frame.Welcome welcome;
            try (RawFrameClient member = new RawFrameClient(server.address())) {
                member.send(Frame.Hello.anonymous(1, "member"));
                welcome = (Frame.Welcome) member.next();
                member.send(new Frame.Subscribe(1, "svc", "workers"));
                assertThat(member.sync()).isEmpty();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> detached() == 1);
            requester.send(request("svc", "replies.r.1"));
            assertThat(requester.sync()).as("held, not refused").isEmpty();

            try (RawFrameClient resumed = new RawFrameClient(server.address())) {
                resumed.send(new Frame.Hello(1, 1, "member", "", new byte[0],
                        welcome.resumeToken().encoded(), 0));
                assertThat(((Frame.Welcome) resumed.next()).resumed()).isTrue();
                assertThat(((Frame.Message) resumed.next()).body().replyTo()).isEqualTo("replies.r.1");
            }
        }
    }
}
