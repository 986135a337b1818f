package dev.conduit.client;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.transport.Connector;
import dev.conduit.transport.FrameHandler;
import dev.conduit.transport.InMemoryConnector;
import java.util.concurrent.Executors;

/** A server that answers every HELLO with a fatal UNSUPPORTED_VERSION error. */
final class InMemoryRefusal {
    Connector connector() {
        return InMemoryConnector.create(c -> new FrameHandler() {
            @Override
            public void onFrame(Frame frame) {
                c.sendAndClose(new Frame.Error(ErrorCode.UNSUPPORTED_VERSION, true, "unsupported version, go away"));
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
