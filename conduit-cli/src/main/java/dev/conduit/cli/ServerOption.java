package dev.conduit.cli;

import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.Credentials;
import dev.conduit.transport.ClientTls;
import dev.conduit.transport.Endpoint;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The {@code --server} option shared by the client commands. */
final class ServerOption {
    @Option(names = "--server", paramLabel = "URL",
            defaultValue = "${env:CONDUIT_SERVER:-" + Endpoint.DEFAULT_URL + "}",
            description = "Server to connect to: tcp://, tls://, ws:// or wss:// (default: the CONDUIT_SERVER "
                    + "environment variable, else " + Endpoint.DEFAULT_URL + "). Several, comma-separated, are "
                    + "tried in turn, as when the nodes of a cluster take over from each other.")
    String url;

    @Option(names = "--retry-connect",
            description = "If the server cannot be reached at start, keep trying with backoff (for up to "
                    + "--reconnect-for) instead of exiting 3 at once: for scripts that start a server and a client together.")
    boolean retryConnect;

    @Option(names = "--reconnect-for", paramLabel = "DURATION", defaultValue = "150s", converter = DurationConverter.class,
            description = "After the connection drops, keep reconnecting for this long before giving up (default: "
                    + "${DEFAULT-VALUE}, past the server's default 2-minute resume window). While reconnecting the "
                    + "session is resumed: nothing is lost or repeated.")
    Duration reconnectFor;

    @Option(names = "--reconnect-attempts", paramLabel = "N", defaultValue = "-1",
            description = "Also give up after N failed reconnect attempts in a row; -1 (the default) for no limit "
                    + "but --reconnect-for.")
    int reconnectAttempts;

    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "PEM file of the certificate authorities to trust for tls:// and wss:// servers "
                    + "(default: the JDK's trusted authorities).")
    Path tlsCa;

    @Option(names = "--cert", paramLabel = "FILE",
            description = "PEM file of this client's certificate, for servers that ask for one (mutual TLS); needs --key.")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE", description = "PEM file (PKCS#8) of the private key of --cert.")
    Path key;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "Authenticate with this static token, or this JWT (recognised by its three dot-separated "
                    + "parts). Default: the CONDUIT_TOKEN environment variable, if set (which keeps it out of "
                    + "the process list).")
    String token;

    /**
     * Options for a command's client: no start-up jitter (one person, not a fleet), reconnects
     * bounded in time by {@code watcher} (which the options' listener must be, or pass to it).
     */
    ClientOptions.Builder options(String clientName) {
        if (reconnectAttempts < -1) {
            throw new IllegalArgumentException("--reconnect-attempts must be -1 or more: " + reconnectAttempts);
        }
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("--cert and --key go together");
        }
        ClientOptions.Builder b = ClientOptions.builder().endpoints(url.split(",")).clientName(clientName)
                .initialConnectJitter(Duration.ZERO).maxReconnectAttempts(reconnectAttempts)
                .retryInitialConnect(retryConnect);
        if (tlsCa != null || cert != null) {
            ClientTls.Builder tls = ClientTls.builder().trustedCertificates(tlsCa);
            if (cert != null) {
                tls.certificate(cert, key, null);
            }
            b.tls(tls.build());
        }
        String t = token != null ? token : System.getenv("CONDUIT_TOKEN");
        if (t != null && !t.isEmpty()) {
            Credentials credentials = Credentials.guess(t);
            b.credentials(() -> credentials);
        }
        return b;
    }

    /** The listener every command's client uses: it applies {@code --reconnect-for}. */
    ClientWatcher watcher(java.io.PrintWriter err) {
        return new ClientWatcher(err, reconnectFor);
    }

    /**
     * Connects with {@code watcher} as the listener. With {@code --retry-connect}, the first
     * connection is given up after {@code --reconnect-for}.
     */
    Client connect(ClientOptions.Builder options, ClientWatcher watcher) {
        ClientOptions built = options.listener(watcher).build();
        if (!retryConnect) {
            Client c = Client.connect(built);
            watcher.watch(c);
            return c;
        }
        java.util.concurrent.CompletableFuture<Client> connecting =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> Client.connect(built), Thread::startVirtualThread);
        try {
            Client c = connecting.get(reconnectFor.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
            watcher.watch(c);
            return c;
        } catch (java.util.concurrent.TimeoutException e) {
            connecting.thenAccept(Client::close);
            throw new dev.conduit.client.ConnectFailedException("cannot connect to " + url + " within "
                    + DurationConverter.format(reconnectFor) + " (--retry-connect, --reconnect-for)", null);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            connecting.thenAccept(Client::close);
            Thread.currentThread().interrupt();
            throw new dev.conduit.client.ConnectionClosedException("stopped while connecting");
        }
    }

    /** Connects with a listener of its own that only applies {@code --reconnect-for}; see above. */
    Client connect(String clientName) {
        return connect(clientName, new ClientWatcher(new java.io.PrintWriter(java.io.Writer.nullWriter()), reconnectFor));
    }

    Client connect(String clientName, ClientWatcher watcher) {
        return connect(options(clientName), watcher);
    }
}
