package dev.conduit.cli;

import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.Credentials;
import dev.conduit.transport.ClientTls;
import dev.conduit.transport.Endpoint;
import java.nio.file.Path;
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

    /** Options for a command's client: no start-up jitter (one person, not a fleet), bounded reconnects. */
    ClientOptions.Builder options(String clientName) {
        if (reconnectAttempts < -1) {
            throw new IllegalArgumentException("--reconnect-attempts must be -1 or more: " + reconnectAttempts);
        }
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("--cert and --key go together");
        }
        ClientOptions.Builder b = ClientOptions.builder().endpoints(url).clientName(clientName)
                .initialConnectJitter(java.time.Duration.ZERO).maxReconnectAttempts(reconnectAttempts);
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

    Client connect(String clientName) {
        return Client.connect(options(clientName).build());
    }
}
