package dev.conduit.cli;

import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.transport.Endpoint;
import picocli.CommandLine.Option;

/** The {@code --server} option shared by the client commands. */
final class ServerOption {
    @Option(names = "--server", paramLabel = "URL", defaultValue = Endpoint.DEFAULT_URL,
            description = "Server to connect to (default: ${DEFAULT-VALUE}).")
    String url;

    @Option(names = "--reconnect-attempts", paramLabel = "N", defaultValue = "10",
            description = "Failed reconnect attempts in a row before giving up; -1 for never (default: ${DEFAULT-VALUE}). "
                    + "While reconnecting, the session is resumed: nothing is lost or repeated.")
    int reconnectAttempts;

    /** Options for a command's client: no start-up jitter (one person, not a fleet), bounded reconnects. */
    ClientOptions.Builder options(String clientName) {
        if (reconnectAttempts < -1) {
            throw new IllegalArgumentException("--reconnect-attempts must be -1 or more: " + reconnectAttempts);
        }
        return ClientOptions.builder().endpoints(url).clientName(clientName)
                .initialConnectJitter(java.time.Duration.ZERO).maxReconnectAttempts(reconnectAttempts);
    }

    Client connect(String clientName) {
        return Client.connect(options(clientName).build());
    }
}
