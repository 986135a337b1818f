package dev.conduit.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** In-memory pairs: frames cross as objects, in order, and close reaches both sides once. */
class InMemoryConnectorTest {

    /** Runs tasks only when told to: the test decides when handlers see anything. */
    private static final class ManualExecutor implements Executor {
        final Queue<Runnable> tasks = new ArrayDeque<>();

        @Override
        public synchronized void execute(Runnable task) {
            tasks.add(task);
        }

        void runAll() {
            for (int i = 0; i < 100_000; i++) {
                Runnable r;
                synchronized (this) {
                    r = tasks.poll();
                }
                if (r == null) {
                    return;
                }
                r.run();
            }
            throw new AssertionError("tasks keep coming");
        }
    }

    private static final class Side implements FrameHandler {
        final List<Frame> frames = new CopyOnWriteArrayList<>();
        final List<Object> events = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();
        volatile Connection connection;

        @Override
        public void onFrame(Frame frame) {
            frames.add(frame);
            events.add(frame);
            threads.add(Thread.currentThread().getName());
        }

        @Override
        public void onProtocolError(ProtocolException error, boolean inSync) {
            events.add(error);
        }

        @Override
        public void onClosed(Throwable cause) {
            events.add(cause == null ? "closed" : cause);
        }

        long closes() {
            return events.stream().filter("closed"::equals).count();
        }
    }

    private final ExecutorService single = Executors.newSingleThreadExecutor(r -> new Thread(r, "memory-test"));

    @AfterEach
    void tearDown() {
        single.shutdownNow();
    }

    private static Connection connect(Executor executor, Side server, Side client) {
        InMemoryConnector connector = InMemoryConnector.create(c -> {
            server.connection = c;
            return server;
        }, executor);
        Connection c = connector.connect(null, Duration.ofSeconds(1), conn -> {
            client.connection = conn;
            return client;
        }).join();
        assertThat(c).isSameAs(client.connection);
        assertThat(server.connection).isNotNull().isNotSameAs(c);
        return c;
    }

    /** Waits until every task submitted to {@link #single} so far has run. */
    private void quiesce() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        single.execute(done::countDown);
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void framesCrossInOrderBothWaysAsTheSameObjects() {
        Side server = new Side();
        Side client = new Side();
        Connection c = connect(Executors.newVirtualThreadPerTaskExecutor(), server, client);
        List<Frame> up = new ArrayList<>();
        List<Frame> down = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            up.add(new Frame.Publish(i, false, MessageBody.of("up." + i, null, Headers.EMPTY, new byte[] {(byte) i})));
            down.add(new Frame.Message(i, i, MessageBody.of("down", null, Headers.EMPTY, new byte[0])));
            assertThat(c.send(up.get(i))).isTrue();
            assertThat(server.connection.send(down.get(i))).isTrue();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> server.frames.size() == up.size()
                && client.frames.size() == down.size());
        for (int i = 0; i < up.size(); i++) {
            assertThat(server.frames.get(i)).isSameAs(up.get(i));
            assertThat(client.frames.get(i)).isSameAs(down.get(i));
        }
        assertThat(c.transportName()).isEqualTo("memory");
        assertThat(c.isOpen()).isTrue();
    }

    @Test
    void whatTheAcceptorSendsBeforeTheClientHandlerExistsStillArrives() {
        ManualExecutor executor = new ManualExecutor();
        Side client = new Side();
        InMemoryConnector connector = InMemoryConnector.create(c -> {
            c.send(new Frame.Ping(77));
            return new Side();
        }, executor);
        connector.connect(null, Duration.ofSeconds(1), conn -> client).join();
        executor.runAll();
        assertThat(client.frames).containsExactly(new Frame.Ping(77));
    }

    @Test
    void handlersSeeNothingUntilTheExecutorRunsThemAndPendingBytesTrackTheInbox() {
        ManualExecutor executor = new ManualExecutor();
        Side server = new Side();
        Side client = new Side();
        Connection c = connect(executor, server, client);
        Frame a = new Frame.Ping(1);
        Frame b = new Frame.Publish(0, false, MessageBody.of("x", null, Headers.EMPTY, new byte[100]));
        c.send(a);
        c.send(b);
        assertThat(server.frames).isEmpty();
        assertThat(c.pendingOutboundBytes()).isEqualTo(FrameCodec.encodedLength(a) + FrameCodec.encodedLength(b));
        assertThat(server.connection.pendingOutboundBytes()).isZero();
        executor.runAll();
        assertThat(server.frames).containsExactly(a, b);
        assertThat(c.pendingOutboundBytes()).isZero();
    }

    @Test
    void closingOneSideClosesBothExactlyOnceAfterTheFramesAlreadySent() throws Exception {
        Side server = new Side();
        Side client = new Side();
        Connection c = connect(single, server, client);
        for (int i = 0; i < 100; i++) {
            c.send(new Frame.Ping(i));
        }
        c.close();
        assertThat(c.isOpen()).isFalse();
        assertThat(server.connection.isOpen()).as("the peer is closed at once too").isFalse();
        assertThat(c.send(new Frame.Ping(-1))).isFalse();
        assertThat(server.connection.send(new Frame.Ping(-2))).isFalse();
        c.close();
        c.abort();
        server.connection.close();
        server.connection.sendAndClose(new Frame.Ping(-3));
        quiesce();

        assertThat(server.frames).hasSize(100);
        assertThat(server.events.get(100)).isEqualTo("closed");
        assertThat(server.closes()).isEqualTo(1);
        assertThat(client.events).containsExactly("closed");
        assertThat(c.closeFuture()).isCompleted();
        assertThat(server.connection.closeFuture()).isCompleted();
    }

    @Test
    void theServerClosingWithAFrameDeliversItThenClosesBoth() throws Exception {
        Side server = new Side();
        Side client = new Side();
        Connection c = connect(single, server, client);
        server.connection.sendAndClose(new Frame.Pong(9));
        quiesce();
        assertThat(client.events).containsExactly(new Frame.Pong(9), "closed");
        assertThat(server.events).containsExactly("closed");
        assertThat(c.send(new Frame.Ping(1))).isFalse();
        assertThat(c.isOpen()).isFalse();
    }

    @Test
    void closingBothSidesAtOnceStillClosesEachOnce() throws Exception {
        Side server = new Side();
        Side client = new Side();
        Connection c = connect(single, server, client);
        Thread other = Thread.ofPlatform().start(server.connection::close);
        c.close();
        other.join(30_000);
        quiesce();
        assertThat(server.closes()).isEqualTo(1);
        assertThat(client.closes()).isEqualTo(1);
    }

    @Test
    void scheduledTasksRunOnTheExecutor() throws Exception {
        Side server = new Side();
        Side client = new Side();
        Connection c = connect(single, server, client);
        CountDownLatch ran = new CountDownLatch(1);
        List<String> where = new CopyOnWriteArrayList<>();
        c.schedule(() -> {
            where.add(Thread.currentThread().getName());
            ran.countDown();
        }, 1, TimeUnit.MILLISECONDS);
        Connection.Cancellable cancelled = c.schedule(() -> where.add("cancelled task ran"), 1, TimeUnit.HOURS);
        cancelled.cancel();
        assertThat(ran.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(where).containsExactly("memory-test");
    }
}
