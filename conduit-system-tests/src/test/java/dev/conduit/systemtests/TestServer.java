package dev.conduit.systemtests;

import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A server on 127.0.0.1 with an ephemeral port, and the clients connected to it, closed together.
 * Each test makes its own, so that tests share no state.
 */
final class TestServer implements AutoCloseable {
    final Server server;
    private final List<Client> clients = new ArrayList<>();

    private TestServer(Server server) {
        this.server = server;
    }

    static TestServer start() {
        return start(b -> b);
    }

    static TestServer start(UnaryOperator<ServerConfig.Builder> config) {
        return new TestServer(Server.create(config.apply(ServerConfig.builder().port(0).ioThreads(2)).build()).start());
    }

    String url() {
        return "tcp://127.0.0.1:" + server.address().getPort();
    }

    Client client() {
        return client(b -> b);
    }

    Client client(UnaryOperator<ClientOptions.Builder> options) {
        Client c = Client.connect(options.apply(ClientOptions.builder().endpoints(url()).initialConnectJitter(java.time.Duration.ZERO)).build());
        clients.add(c);
        return c;
    }

    @Override
    public void close() {
        clients.forEach(Client::close);
        server.close();
    }
}
