package dev.conduit.transport;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.ProtocolException;
import org.jspecify.annotations.Nullable;

/**
 * Receives what arrives on one {@link Connection}. Calls for one connection never overlap and come
 * in arrival order, on the connection's I/O thread: implementations must not block and must not run
 * user code there.
 */
public interface FrameHandler {

    /** A frame arrived. */
    void onFrame(Frame frame);

    /**
     * The frames read together have all been passed to {@link #onFrame}: a good moment to send one
     * acknowledgement for all of them, or to note that the peer is alive.
     */
    default void onReadComplete() {
    }

    /**
     * Received bytes were not a valid frame. When {@code inSync} is true the bad frame's length was
     * valid and it was skipped whole: later frames decode normally. When false the stream cannot be
     * read further and nothing more will be delivered; the handler should close the connection.
     */
    void onProtocolError(ProtocolException error, boolean inSync);

    /**
     * The peer's TLS client certificate has been revoked since the connection was accepted (the
     * listener's revocation list changed): the handler should tell the peer why, if its protocol
     * can, and end what the connection carried. The connection is closed right after this returns,
     * once the frames sent in it have been written. At most once per connection. The default does
     * nothing more than that close.
     *
     * @param reason names the certificate and the list that revokes it
     */
    default void onPeerCertificateRevoked(String reason) {
    }

    /** The connection closed; {@code cause} is {@code null} for an orderly close. Called once. */
    void onClosed(@Nullable Throwable cause);
}
