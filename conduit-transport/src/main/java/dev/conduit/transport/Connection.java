package dev.conduit.transport;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.ProtocolLimits;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One transport link that carries frames both ways: a TCP socket or an in-memory pair. Not to be
 * confused with a session, which later revisions let outlive its connections.
 *
 * <p>Thread-safe. {@link #send} may be called from any thread; frames sent from one thread leave in
 * the order sent. Sends are batched: frames queued while the I/O thread is busy leave together in
 * one write and one flush, and a lone frame leaves at once.
 */
public interface Connection {

    /**
     * Queues a frame to send. Never blocks. A frame that cannot be encoded (a string field over
     * 65535 bytes) is not skipped, which would put the peer's count of sequenced frames out of step:
     * the connection is aborted instead (TCP and WebSocket links), and this returns false.
     *
     * @return false if the connection is closed or closing, so the frame will not be sent
     */
    boolean send(Frame frame);

    /** Sends the frame, then closes once everything queued before it has been written. */
    void sendAndClose(Frame frame);

    /** Closes once every frame queued so far has been written. Idempotent. */
    void close();

    /**
     * Closes at once, discarding whatever is queued and not yet written: for a peer that stopped
     * reading, or a deadline that passed. Idempotent.
     */
    void abort();

    /** Whether frames can still be sent. */
    boolean isOpen();

    /** Bytes queued or buffered for sending but not yet written to the network. */
    long pendingOutboundBytes();

    /**
     * Sets the limits that frames received from now on must respect (a client learns them from
     * WELCOME). Takes effect for the next frame decoded.
     */
    void inboundLimits(ProtocolLimits limits);

    /** Completes when the connection is closed, for whatever reason. */
    CompletableFuture<Void> closeFuture();

    /**
     * Runs a task on this connection's I/O thread after a delay (for an in-memory connection, on its
     * executor). The task must not block, and it runs even if the connection has closed by then, so
     * it must check the state it acts on; cancel it when it is no longer needed. (Cancelling on close
     * would mean a callback per task held by the connection: a leak for long-lived connections.)
     */
    Cancellable schedule(Runnable task, long delay, TimeUnit unit);

    /** The peer's address, for logs. */
    String remoteAddress();

    /**
     * The peer's IP address without its port, for limits per address; null if the link has none (in
     * process). This default reads it from {@link #remoteAddress()} when that has the form {@code
     * host/ip:port} or {@code /ip:port}.
     */
    default @Nullable String remoteHost() {
        String a = remoteAddress();
        int slash = a == null ? -1 : a.indexOf('/');
        int colon = a == null ? -1 : a.lastIndexOf(':');
        return slash < 0 || colon <= slash + 1 ? null : a.substring(slash + 1, colon);
    }

    /**
     * Stops handing on frames from the peer, and reading from it, until {@link #resumeReading()}:
     * for a peer over its rate. What it sends meanwhile waits in socket buffers, and TCP flow control
     * slows it down; a frame already being handed on is finished, the frames behind it wait. Sending
     * is not affected. Call it from the connection's own thread (its {@link FrameHandler} or a task
     * {@link #schedule}d on it). The default does nothing.
     */
    default void suspendReading() {
    }

    /**
     * Undoes {@link #suspendReading()}: the frames that waited are handed on first. From a task
     * {@link #schedule}d on the connection, not from inside {@link FrameHandler#onFrame}.
     */
    default void resumeReading() {
    }

    /**
     * Runs {@code task} on the connection's own thread as soon as it can, after the tasks and frames
     * already queued there: as {@link #schedule} with no delay, without a timer. Tasks handed over
     * from one thread run in the order given. Also after the connection closed (like
     * {@link #schedule}), while its thread still runs; throws
     * {@link java.util.concurrent.RejectedExecutionException} once that thread is shut down.
     */
    default void execute(Runnable task) {
        schedule(task, 0, TimeUnit.NANOSECONDS);
    }

    /** {@code tcp}, {@code tls}, {@code ws}, {@code wss} or {@code memory}. */
    String transportName();

    /**
     * The certificate chain the peer presented in the TLS handshake, its own certificate first; empty
     * if the link is not TLS or the peer presented none. Valid once the first frame has arrived.
     */
    default List<X509Certificate> peerCertificates() {
        return List.of();
    }

    /** A scheduled task that can be cancelled. */
    interface Cancellable {
        void cancel();
    }
}
