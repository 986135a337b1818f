package dev.conduit.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolLimits;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * A reply to a request whose caller is blocked on its future is handed to that thread by the I/O
 * thread, not through the executor; every other way of completing is as before.
 */
class RequestHandOverTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** A message for the unit tests of {@link RequestFuture}; nothing replies to it. */
    private record Reply(String subject) implements Message {
        @Override
        public @Nullable String replyTo() {
            return null;
        }

        @Override
        public Headers headers() {
            return Headers.EMPTY;
        }

        @Override
        public byte[] payload() {
            return new byte[0];
        }

        @Override
        public void reply(Headers headers, byte[] payload) {
            throw new UnsupportedOperationException();
        }
    }

    private static ClientOptions.Builder options() {
        return ClientOptions.builder().clientName("unit").initialConnectJitter(Duration.ZERO);
    }

    /** The server answers the request {@code sent} with a one-byte payload, on the inbox subscription. */
    private static void reply(ScriptedServer server, Frame.Subscribe inbox, Frame.Publish sent, byte payload) {
        server.send(new Frame.Message(1, inbox.subscriptionId(), MessageBody.of(
                sent.body().replyTo(), null, Headers.EMPTY, new byte[] {payload})));
    }

    /** Blocks a new thread in {@code get()} of the future; its outcome goes to {@code got}. */
    private static Thread blockInGet(RequestFuture future, AtomicReference<Object> got) {
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                got.set(future.get());
            } catch (InterruptedException | ExecutionException e) {
                got.set(e);
            }
        });
        await().atMost(WAIT).until(future::hasWaiter);
        return t;
    }

    @Test
    void aReplyIsHandedToTheBlockedThreadWhichRunsTheDependentStages() throws Exception {
        RequestFuture future = new RequestFuture();
        AtomicReference<Thread> stageRanOn = new AtomicReference<>();
        future.thenRun(() -> stageRanOn.set(Thread.currentThread()));
        AtomicReference<Object> got = new AtomicReference<>();
        Thread waiter = blockInGet(future, got);
        Reply reply = new Reply("_INBOX.x.1");

        assertThat(future.handToWaiter(reply)).isTrue();
        waiter.join(WAIT.toMillis());

        assertThat(got.get()).isSameAs(reply);
        assertThat(future).isCompletedWithValue(reply);
        assertThat(stageRanOn.get()).isSameAs(waiter);
    }

    @Test
    void withNobodyBlockedNothingIsHanded() {
        RequestFuture future = new RequestFuture();
        assertThat(future.hasWaiter()).isFalse();
        assertThat(future.handToWaiter(new Reply("s"))).isFalse();
        assertThat(future).isNotDone();
    }

    @Test
    void aWaiterThatTimedOutTakesNoReplyAndTheFutureStillCompletesLater() throws Exception {
        RequestFuture future = new RequestFuture();
        assertThatThrownBy(() -> future.get(1, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        assertThat(future.hasWaiter()).isFalse();
        Reply reply = new Reply("s");
        assertThat(future.handToWaiter(reply)).isFalse();
        future.complete(reply);
        assertThat(future.get()).isSameAs(reply);
    }

    @Test
    void aBlockedThreadIsWokenByAFailureThatCompletesTheFutureAnotherWay() throws Exception {
        RequestFuture future = new RequestFuture();
        AtomicReference<Object> got = new AtomicReference<>();
        Thread waiter = blockInGet(future, got);

        future.completeExceptionally(new RequestTimeoutException("late", Duration.ofSeconds(1)));
        waiter.join(WAIT.toMillis());

        assertThat(got.get()).isInstanceOf(ExecutionException.class);
        assertThat(((ExecutionException) got.get()).getCause()).isInstanceOf(RequestTimeoutException.class);
        assertThat(future.hasWaiter()).isFalse();
    }

    @Test
    void anInterruptedWaiterLeavesTheReplyToTheUsualPath() throws Exception {
        RequestFuture future = new RequestFuture();
        AtomicReference<Object> got = new AtomicReference<>();
        Thread waiter = blockInGet(future, got);

        waiter.interrupt();
        waiter.join(WAIT.toMillis());

        assertThat(got.get()).isInstanceOf(InterruptedException.class);
        assertThat(future.handToWaiter(new Reply("s"))).isFalse();
        assertThat(future).isNotDone();
    }

    @Test
    void aClientHandsTheReplyToTheThreadBlockedInGetWhereItsStagesRun() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT);
             Client client = server.connect(options())) {
            CompletableFuture<Message> request = client.request("svc", new byte[1], WAIT);
            Frame.Subscribe inbox = server.next(Frame.Subscribe.class);
            Frame.Publish sent = server.next(Frame.Publish.class);
            AtomicReference<Thread> stageRanOn = new AtomicReference<>();
            request.thenRun(() -> stageRanOn.set(Thread.currentThread()));
            AtomicReference<Object> got = new AtomicReference<>();
            Thread waiter = blockInGet((RequestFuture) request, got);

            reply(server, inbox, sent, (byte) 42);
            waiter.join(WAIT.toMillis());

            assertThat(got.get()).isInstanceOf(Message.class);
            assertThat(((Message) got.get()).payload()).containsExactly(42);
            // Through the executor (the path without the hand-over) the stage would run on one of its
            // virtual threads.
            assertThat(stageRanOn.get()).isSameAs(waiter);
        }
    }

    @Test
    void aReplyToAFutureNobodyWaitsOnStillCompletesOnTheExecutor() throws Exception {
        try (ScriptedServer server = new ScriptedServer(ProtocolLimits.DEFAULT);
             Client client = server.connect(options())) {
            CompletableFuture<Message> request = client.request("svc", new byte[1], WAIT);
            Frame.Subscribe inbox = server.next(Frame.Subscribe.class);
            Frame.Publish sent = server.next(Frame.Publish.class);
            CompletableFuture<Thread> stageRanOn = request.thenApply(m -> Thread.currentThread());

            reply(server, inbox, sent, (byte) 7);

            assertThat(stageRanOn.get(WAIT.toSeconds(), TimeUnit.SECONDS).isVirtual()).isTrue();
            assertThat(request.get().payload()).containsExactly(7);
        }
    }
}
