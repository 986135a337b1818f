package dev.conduit.client;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.transport.Connector;
import dev.conduit.transport.FrameHandler;
import dev.conduit.transport.InMemoryConnector;
import java.util.concurrent.Executors;

/** A server that answers every HELLO with a fatal error. */
final class InMemoryRefusal {
    private final ErrorCode code;

    InMemoryRefusal(ErrorCode code) {
        this.code = code;
    }

    Connector connector() {
        return InMemoryConnector.create(c -> new FrameHandler() {
            @Override
            public void onFrame(Frame frame) {
                c.sendAndClose(new Frame.Error(code, true, code.name().toLowerCase().replace('_', ' ') + ", go away"));
            }

            @Override
            public void onProtocolError(ProtocolException error, boolean inSync) {
            }

            @Override
            public void onClosed(Throwable cause) {
            }
        }, Executors.newVirtualThreadPerTaskExecutor());
    }
}
