package dev.conduit.cluster;

import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ClientOptions;
import dev.conduit.server.ClusterConfig;
import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Servers in this JVM, nodes {@code n1 ... nN} of one cluster on one Redis, and their clients; all closed together. */
final class ClusterNodes implements AutoCloseable {
    final List<Server> servers = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();

    ClusterNodes(RedisProcess redis, int nodes) {
        this(redis, nodes, false);
    }

    /** With {@code http}, each node also answers HTTP ({@code /readyz}) on a free port. */
    ClusterNodes(RedisProcess redis, int nodes, boolean http) {
        this(redis, nodes, b -> b.httpPort(http ? 0 : -1));
    }

    /** Each node's settings as {@code settings} makes them from the defaults (no HTTP). */
    ClusterNodes(RedisProcess redis, int nodes, java.util.function.UnaryOperator<ServerConfig.Builder> settings) {
        for (int i = 1; i <= nodes; i++) {
            servers.add(Server.create(settings.apply(ServerConfig.builder().port(0).httpPort(-1))
                    .cluster(new ClusterConfig(URI.create(redis.uri()), "n" + i, null)).build()).start());
        }
    }

    /** Node {@code i} (from 1). */
    Server node(int i) {
        return servers.get(i - 1);
    }

    /** A new in-process client of node {@code i}. */
    Client client(int i) {
        return client(i, new ClientListener() {
        });
    }

    /** A new in-process client of node {@code i} that tells {@code listener} what happens to it. */
    Client client(int i, ClientListener listener) {
        // A short drain: the tests wait for what they need before closing.
        Client c = Client.connect(ClientOptions.builder().drainTimeout(Duration.ofSeconds(1)).listener(listener).build(),
                node(i).localConnector());
        clients.add(c);
        return c;
    }

    /** Messages node {@code from} has queued for node {@code to} since it started. */
    double forwarded(int from, int to) {
        Counter c = node(from).meterRegistry().find("conduit.cluster.forwarded").tag("node", "n" + to).counter();
        return c == null ? 0 : c.count();
    }

    double counter(int node, String name) {
        Counter c = node(node).meterRegistry().find(name).counter();
        return c == null ? 0 : c.count();
    }

    /** Node {@code i}'s {@code /readyz}: "status body". */
    String readyz(int i) throws java.io.IOException, InterruptedException {
        java.net.InetSocketAddress a = node(i).httpAddress();
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + a.getPort() + "/readyz")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            return r.statusCode() + " " + r.body().trim();
        }
    }

    double gauge(int node, String name) {
        Gauge g = node(node).meterRegistry().find(name).gauge();
        return g == null ? -1 : g.value();
    }

    /** Waits until node {@code i} knows this many interest records of the other nodes. */
    void awaitRemoteInterests(int i, int records) {
        await().atMost(Duration.ofSeconds(10)).until(() -> gauge(i, "conduit.cluster.remote.interests") == records);
    }

    @Override
    public void close() {
        // The clients drain side by side (each within its drainTimeout), then the servers stop.
        java.util.concurrent.CompletableFuture.allOf(clients.stream().map(Client::drain)
                .toArray(java.util.concurrent.CompletableFuture[]::new)).handle((v, e) -> null).join();
        clients.forEach(Client::close);
        servers.forEach(Server::close);
    }
}
