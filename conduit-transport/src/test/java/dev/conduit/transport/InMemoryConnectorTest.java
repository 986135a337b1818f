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

    /** Fires its timers only when told to. */
    private static final class ManualClock implements Clock {
        private final List<Runnable> due = new ArrayList<>();

        @Override
        public long nanoTime() {
            return 0;
        }

        @Override
        public synchronized Connection.Cancellable schedule(Runnable task, long delay, TimeUnit unit) {
            due.add(task);
            return () -> {
                synchronized (this) {
                    due.remove(task);
                }
            };
        }

        /** Fires every timer not cancelled, as if their delays had all passed. */
        void fireAll() {
            List<Runnable> firing;
            synchronized (this) {
                firing = new ArrayList<>(due);
                due.clear();
            }
            firing.forEach(Runnable::run);
        }
    }

    private static class Side implements FrameHandler {
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
        return connect(executor, Clock.system(), server, client);
    }

    private static Connection connect(Executor executor, Clock clock, FrameHandler server, Side client) {
        Connection[] accepted = new Connection[1];
        InMemoryConnector connector = InMemoryConnector.create(c -> {
            accepted[0] = c;
            if (server instanceof Side s) {
                s.connection = c;
            }
            return server;
        }, executor, clock);
        Connection c = connector.connect(null, Duration.ofSeconds(1), conn -> {
            client.connection = conn;
            return client;
        }).join();
        assertThat(c).isSameAs(client.connection);
        assertThat(accepted[0]).isNotNull().isNotSameAs(c);
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
    void aReadEndsWhenTheInboxIsEmptyEvenIfATaskRanBehindItsLastFrame() {
        ManualExecutor executor = new ManualExecutor();
        List<String> events = new CopyOnWriteArrayList<>();
        FrameHandler server = new FrameHandler() {
            @Override
            public void onFrame(Frame frame) {
                events.add("frame");
            }

            @Override
            public void onReadComplete() {
                events.add("read complete");
            }

            @Override
            public void onProtocolError(ProtocolException error, boolean inSync) {
            }

            @Override
            public void onClosed(Throwable cause) {
            }
        };
        Connection[] accepted = new Connection[1];
        InMemoryConnector connector = InMemoryConnector.create(c -> {
            accepted[0] = c;
            return server;
        }, executor);
        Connection c = connector.connect(null, Duration.ofSeconds(1), conn -> new Side()).join();
        executor.runAll();
        c.send(new Frame.Ping(1));
        accepted[0].execute(() -> events.add("task")); // queued behind the frame, in the same inbox
        executor.runAll();
        // A handler that defers work to the end of a read (the server's writers) must hear of it.
        assertThat(events).containsExactly("frame", "task", "read complete");
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

    /** A server side whose handler throws on the frame {@code Ping(fail)}. */
    private static final class Failing extends Side {
        final Throwable failure;

        Failing(Throwable failure) {
            this.failure = failure;
        }

        @Override
        public void onFrame(Frame frame) {
            super.onFrame(frame);
            if (frame.equals(new Frame.Ping(2))) {
                if (failure instanceof RuntimeException e) {
                    throw e;
                }
                throw (Error) failure;
            }
        }
    }

    @Test
    void aHandlerThatThrowsClosesBothSidesAndHearsWhyInsteadOfWedgingTheConnection() {
        for (Throwable failure : new Throwable[] {new IllegalStateException("boom"), new AssertionError("bang")}) {
            ManualExecutor executor = new ManualExecutor();
            Failing server = new Failing(failure);
            Side client = new Side();
            Connection c = connect(executor, new ManualClock(), server, client);
            for (int i = 1; i <= 4; i++) {
                c.send(new Frame.Ping(i));
            }
            try {
                executor.runAll();
            } catch (RuntimeException | Error e) {
                throw new AssertionError("the failure escaped the drain", e);
            }
            assertThat(server.events).as(failure.toString())
                    .containsExactly(new Frame.Ping(1), new Frame.Ping(2), failure);
            assertThat(client.events).containsExactly("closed");
            assertThat(server.connection.isOpen()).isFalse();
            assertThat(c.isOpen()).isFalse();
            assertThat(server.connection.closeFuture()).isCompleted();
            assertThat(c.closeFuture()).isCompleted();
            assertThat(c.send(new Frame.Ping(5))).isFalse();
            assertThat(c.pendingOutboundBytes()).as("frames behind the failure are discarded and uncounted").isZero();
        }
    }

    @Test
    void aTimerRunsInTheSameSequenceAsTheFramesItFiredBetween() {
        ManualExecutor executor = new ManualExecutor();
        ManualClock clock = new ManualClock();
        Side server = new Side();
        Side client = new Side();
        Connection c = connect(executor, clock, server, client);
        server.connection.schedule(() -> server.events.add("timer"), 5, TimeUnit.SECONDS);
        c.send(new Frame.Ping(1));
        clock.fireAll();
        c.send(new Frame.Ping(2));
        executor.runAll();
        assertThat(server.events).containsExactly(new Frame.Ping(1), "timer", new Frame.Ping(2));
    }

    @Test
    void aTimerThatComesDueWhileTheHandlerRunsWaitsForIt() {
        // The handler fires the clock (the timer comes due now), then lets the executor run whatever
        // is pending, as another thread of a real pool would at that moment. A timer handed to the
        // executor as a task of its own would run there, inside the handler.
        ManualExecutor executor = new ManualExecutor();
        ManualClock clock = new ManualClock();
        List<Object> events = new CopyOnWriteArrayList<>();
        boolean[] inHandler = new boolean[1];
        Side client = new Side();
        Connection[] serverSide = new Connection[1];
        FrameHandler server = new FrameHandler() {
            @Override
            public void onFrame(Frame frame) {
                inHandler[0] = true;
                events.add(frame);
                if (frame.equals(new Frame.Ping(1))) {
                    serverSide[0].schedule(() -> events.add(inHandler[0] ? "timer inside the handler" : "timer"),
                            1, TimeUnit.MILLISECONDS);
                    clock.fireAll();
                    executor.runAll();
                }
                inHandler[0] = false;
            }

            @Override
            public void onProtocolError(ProtocolException error, boolean inSync) {
            }

            @Override
            public void onClosed(Throwable cause) {
                events.add("closed");
            }
        };
        InMemoryConnector connector = InMemoryConnector.create(conn -> {
            serverSide[0] = conn;
            return server;
        }, executor, clock);
        Connection c = connector.connect(null, Duration.ofSeconds(1), conn -> client).join();
        c.send(new Frame.Ping(1));
        executor.runAll();
        assertThat(events).containsExactly(new Frame.Ping(1), "timer");
    }

    @Test
    void aTimerCancelledAfterItCameDueDoesNotRun() {
        ManualExecutor executor = new ManualExecutor();
        ManualClock clock = new ManualClock();
        Side server = new Side();
        Connection c = connect(executor, clock, server, new Side());
        Connection.Cancellable timer = server.connection.schedule(() -> server.events.add("timer"), 1, TimeUnit.SECONDS);
        c.send(new Frame.Ping(1));
        clock.fireAll(); // in the inbox now, behind Ping(1)
        timer.cancel();
        executor.runAll();
        assertThat(server.events).containsExactly(new Frame.Ping(1));
    }

    @Test
    void timersStillRunAfterTheCloseAndAFailingTimerDoesNotStopTheFrames() {
        ManualExecutor executor = new ManualExecutor();
        ManualClock clock = new ManualClock();
        Side server = new Side();
        Connection c = connect(executor, clock, server, new Side());
        server.connection.schedule(() -> {
            throw new IllegalStateException("timer failed");
        }, 1, TimeUnit.SECONDS);
        clock.fireAll();
        c.send(new Frame.Ping(1));
        executor.runAll();
        assertThat(server.events).containsExactly(new Frame.Ping(1));
        c.close();
        server.connection.schedule(() -> server.events.add("timer after close"), 1, TimeUnit.SECONDS);
        clock.fireAll();
        executor.runAll();
        assertThat(server.events).containsExactly(new Frame.Ping(1), "closed", "timer after close");
    }

    @Test
    void suspendedReadingHoldsFramesButRunsTimersSoThatOneCanResume() {
        ManualExecutor executor = new ManualExecutor();
        ManualClock clock = new ManualClock();
        Side server = new Side() {
            @Override
            public void onFrame(Frame frame) {
                super.onFrame(frame);
                if (frame instanceof Frame.Ping p && p.token() == 1) {
                    connection.suspendReading(); // as a server over its rate does, mid-batch
                    connection.schedule(connection::resumeReading, 1, TimeUnit.SECONDS);
                }
            }
        };
        Side client = new Side();
        Connection c = connect(executor, clock, server, client);
        c.send(new Frame.Ping(1));
        c.send(new Frame.Ping(2));
        c.send(new Frame.Ping(3));
        executor.runAll();
        assertThat(server.frames).containsExactly(new Frame.Ping(1));
        server.connection.send(new Frame.Pong(9));
        executor.runAll();
        assertThat(client.frames).as("sending is not suspended").containsExactly(new Frame.Pong(9));
        c.close();
        executor.runAll();
        assertThat(server.closes()).as("the close waits behind the held frames").isZero();
        clock.fireAll(); // the resume timer joins the inbox behind the frames and the close, and runs
        executor.runAll();
        assertThat(server.frames).containsExactly(new Frame.Ping(1), new Frame.Ping(2), new Frame.Ping(3));
        assertThat(server.closes()).isEqualTo(1);
    }
}
