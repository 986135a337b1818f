package dev.conduit.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.testkit.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Request deadlines are swept by one timer on the client's clock, not scheduled one by one. */
class RequestDeadlinesTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private final ManualClock clock = ManualClock.create();

    private ClientOptions.Builder options() {
        return ClientOptions.builder().clientName("unit").initialConnectJitter(Duration.ZERO).clock(clock);
    }

    @Test
    void aThousandRequestsInFlightHoldOneTimerAndTimeOutAtTheirDeadline() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            List<CompletableFuture<Message>> requests = new ArrayList<>();
            requests.add(client.request("svc", new byte[1], Duration.ofSeconds(2)));
            int timers = clock.pendingTasks();
            for (int i = 1; i < 1_000; i++) {
                requests.add(client.request("svc", new byte[1], Duration.ofSeconds(2)));
            }
            assertThat(clock.pendingTasks()).isLessThanOrEqualTo(timers);

            clock.advance(Duration.ofSeconds(2).minusNanos(1));
            assertThat(requests).noneMatch(CompletableFuture::isDone);
            clock.advance(Duration.ofNanos(1));
            for (CompletableFuture<Message> r : requests) {
                assertThatThrownBy(() -> r.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class).cause().isInstanceOf(RequestTimeoutException.class);
            }
        }
    }

    @Test
    void aShorterTimeoutIssuedLaterStillFiresAtItsOwnDeadline() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            CompletableFuture<Message> slow = client.request("svc", new byte[1], Duration.ofSeconds(2));
            clock.advance(Duration.ofMillis(100));
            CompletableFuture<Message> fast = client.request("svc", new byte[1], Duration.ofMillis(500));
            clock.advance(Duration.ofMillis(500));
            assertThatThrownBy(() -> fast.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .cause().isInstanceOf(RequestTimeoutException.class);
            assertThat(slow).isNotDone();
            clock.advance(Duration.ofMillis(1_400).minusNanos(1));
            assertThat(slow).isNotDone();
            clock.advance(Duration.ofNanos(1));
            assertThatThrownBy(() -> slow.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .cause().isInstanceOf(RequestTimeoutException.class);
        }
    }

    @Test
    void aRequestAnsweredBeforeItsDeadlineIsNotFailedByTheSweep() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            CompletableFuture<Message> answered = client.request("svc", new byte[1], Duration.ofSeconds(1));
            CompletableFuture<Message> unanswered = client.request("svc", new byte[1], Duration.ofSeconds(1));
            Frame.Subscribe inbox = server.next(Frame.Subscribe.class);
            Frame.Publish request = server.next(Frame.Publish.class);
            server.send(new Frame.Message(1, inbox.subscriptionId(), dev.conduit.protocol.MessageBody.of(
                    request.body().replyTo(), null, dev.conduit.protocol.Headers.EMPTY, new byte[] {42})));
            assertThat(answered.get(WAIT.toSeconds(), TimeUnit.SECONDS).payload()).containsExactly(42);
            clock.advance(Duration.ofSeconds(1));
            assertThatThrownBy(() -> unanswered.get(WAIT.toSeconds(), TimeUnit.SECONDS))
                    .cause().isInstanceOf(RequestTimeoutException.class);
            await().atMost(WAIT).until(() -> client.state() == ConnectionState.OPEN);
            assertThat(answered).isCompletedWithValueMatching(m -> m.payload()[0] == 42);
        }
    }

    @Test
    void onceTheLastRequestIsAnsweredTheSweepIsNoLongerArmed() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT); Client client = server.connect(options())) {
            await().atMost(WAIT).until(() -> client.state() == ConnectionState.OPEN);
            int idle = clock.pendingTasks();
            CompletableFuture<Message> answered = client.request("svc", new byte[1], Duration.ofSeconds(1));
            Frame.Subscribe inbox = server.next(Frame.Subscribe.class);
            Frame.Publish request = server.next(Frame.Publish.class);
            assertThat(clock.pendingTasks()).as("the sweep armed for the request").isEqualTo(idle + 1);
            server.send(new Frame.Message(1, inbox.subscriptionId(), dev.conduit.protocol.MessageBody.of(
                    request.body().replyTo(), null, dev.conduit.protocol.Headers.EMPTY, new byte[] {42})));
            assertThat(answered.get(WAIT.toSeconds(), TimeUnit.SECONDS).payload()).containsExactly(42);
            assertThat(clock.pendingTasks()).as("an idle client keeps no sweep").isEqualTo(idle);
        }
    }
}
