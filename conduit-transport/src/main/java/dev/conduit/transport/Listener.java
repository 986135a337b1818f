package dev.conduit.transport;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/** A bound server socket accepting connections. */
public interface Listener {

    /** The address actually bound (with the real port when port 0 was asked for); null for a Unix socket. */
    @Nullable InetSocketAddress address();

    /** Stops accepting; connections already accepted stay open. */
    CompletableFuture<Void> close();
}
