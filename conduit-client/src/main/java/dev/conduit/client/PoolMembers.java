package dev.conduit.client;

import java.util.Objects;
import dev.conduit.transport.Connector;
import dev.conduit.transport.Transport;
import org.jspecify.annotations.Nullable;

/** Opens the connections of a {@link PooledClient}; tests give fake ones. */
interface PoolMembers {

    /** Opens a connection and waits for its first handshake; throws {@link ConnectFailedException}. */
    Client open(int index, ClientListener listener);

    /** Starts a connection that keeps trying in the background until it connects or is closed. */
    Client start(int index, ClientListener listener);

    /** Releases what the connections share, after the last one closed. */
    default void release() {
    }

    /**
     * Connections over the network (or {@code connector}), each a {@link ConduitClient} with the
     * pool's options, all sharing one set of I/O threads.
     */
    static PoolMembers network(ClientOptions options, @Nullable Connector connector) {
        Transport owned = connector == null ? Transport.create(options.transport()) : null;
        Connector shared = connector != null ? connector : Objects.requireNonNull(owned);
        return new PoolMembers() {
            @Override
            public Client open(int index, ClientListener listener) {
                return ConduitClient.connect(options.forPoolMember(index, listener, false), shared);
            }

            @Override
            public Client start(int index, ClientListener listener) {
                return ConduitClient.startInBackground(options.forPoolMember(index, listener, true), shared);
            }

            @Override
            public void release() {
                if (owned != null) {
                    owned.close();
                }
            }
        };
    }
}
