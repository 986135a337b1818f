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

    Client connect(String clientName) {
        return Client.connect(ClientOptions.builder().endpoints(url).clientName(clientName).build());
    }
}
