package dev.conduit.server;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.transport.Connection;
import dev.conduit.transport.FrameHandler;
import java.util.concurrent.TimeUnit;

/**
 * The handler of a connection refused at accept, over a connection limit: it sends one fatal
 * ERROR, closes, and ignores whatever the peer sends meanwhile. No session, no timers beyond the
 * one that aborts the connection if the peer does not let it close.
 */
final class RefusedConnection implements FrameHandler {
    private static final long ABORT_AFTER_MILLIS = 2_000;

    RefusedConnection(Connection connection, ErrorCode code, String message) {
        connection.sendAndClose(new Frame.Error(code, true, message));
        connection.schedule(connection::abort, ABORT_AFTER_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void onFrame(Frame frame) {
    }

    @Override
    public void onProtocolError(ProtocolException error, boolean inSync) {
    }

    @Override
    public void onReadComplete() {
    }

    @Override
    public void onClosed(Throwable cause) {
    }
}
