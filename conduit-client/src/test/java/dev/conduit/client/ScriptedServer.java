package dev.conduit.client;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.protocol.ProtocolLimits;
import dev.conduit.transport.Connection;
import dev.conduit.transport.FrameHandler;
import dev.conduit.transport.InMemoryConnector;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A fake server on an in-memory connection: answers HELLO with a WELCOME announcing the given
 * limits, acknowledges each sequenced frame as it arrives (unless told to hold the ACKs), records
 * every frame, and lets the test send whatever it likes to the client.
 */
final class ScriptedServer implements AutoCloseable {
    final BlockingQueue<Frame> received = new LinkedBlockingQueue<>();
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final ProtocolLimits limits;
    private volatile Connection connection;
    /** How many connections the client has made. */
    final java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
    /** While true, sequenced frames are counted but not acknowledged (see {@link #ack}). */
    volatile boolean holdAcks;
    /** Sequenced frames received on the current connection. */
    final java.util.concurrent.atomic.AtomicLong sequenced = new java.util.concurrent.atomic.AtomicLong();

    ScriptedServer(ProtocolLimits limits) {
        this.limits = limits;
    }

    Client connect(ClientOptions.Builder options) {
        return Client.connect(options.build(), connector());
    }

    InMemoryConnector connector() {
        return InMemoryConnector.create(c -> {
            connection = c;
            connections.incrementAndGet();
            sequenced.set(0);
            return new FrameHandler() {
                @Override
                public void onFrame(Frame frame) {
                    if (frame instanceof Frame.Hello) {
                        // With a resume token, as a real server sends: a client that reconnects names the session.
                        c.send(new Frame.Welcome(1, "scripted", "s1", 1, false, 0, limits.maxPayloadBytes(),
                                limits.maxHeaderBytes(), limits.maxSubjectBytes(), 0, 0,
                                dev.conduit.protocol.ResumeToken.issue(1, "s1", new java.util.Random(1)), "", 0));
                    } else if (frame instanceof Frame.Ping p) {
                        c.send(new Frame.Pong(p.token()));
                    } else if (frame.sequenced()) {
                        long seq = sequenced.incrementAndGet();
                        if (!holdAcks) {
                            c.send(new Frame.Ack(seq));
                        }
                    }
                    received.add(frame);
                }

                @Override
                public void onProtocolError(ProtocolException error, boolean inSync) {
                }

                @Override
                public void onClosed(Throwable cause) {
                }
            };
        }, executor);
    }

    /** Acknowledges the sequenced frames up to {@code seq} (cumulative). */
    void ack(long seq) {
        connection.send(new Frame.Ack(seq));
    }

    void send(Frame frame) {
        connection.send(frame);
    }

    /** The next recorded frame of the given type, skipping others. */
    <T extends Frame> T next(Class<T> type) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            Frame f = received.poll(1, TimeUnit.SECONDS);
            if (type.isInstance(f)) {
                return type.cast(f);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " within 30 s");
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
