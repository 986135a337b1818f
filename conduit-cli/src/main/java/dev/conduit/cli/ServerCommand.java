package dev.conduit.cli;

import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code conduit server}: runs a server until the process is told to stop. */
@Command(name = "server", description = "Run a Conduit server until stopped (Ctrl-C or SIGTERM stop it gracefully).")
final class ServerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--port", paramLabel = "PORT", description = "TCP port (default 7440; 0 for any free port).")
    Integer port;

    @Option(names = "--http-port", paramLabel = "PORT",
            description = "HTTP port for WebSocket links and health checks (default 7480, or 0 when --port is 0;"
                    + " 0 for any free port; -1 for none).")
    Integer httpPort;

    @Option(names = "--host", paramLabel = "HOST", description = "Address to bind (default 127.0.0.1).")
    String host;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "PEM certificate chain: both ports then speak only TLS (tls://, https, wss://); needs --tls-key.")
    String tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM (PKCS#8) private key of --tls-cert.")
    String tlsKey;

    @Option(names = "--unix-socket", paramLabel = "PATH",
            description = "Also listen on this Unix domain socket (clients connect to unix://PATH); "
                    + "the file is removed on stop, and a stale one left by a dead server is replaced.")
    String unixSocket;

    @Option(names = "--zmq-port", paramLabel = "N",
            description = "Run the ZeroMQ gateway on ports N to N+4 (PUB, SUB, REQ, PUSH, REP peers; see docs/zeromq.md);"
                    + " 0 for free ports. Off by default.")
    Integer zmqPort;
    @Option(names = "--cluster", paramLabel = "REDIS_URI",
            description = "Run as one node of a cluster linked through this Redis (redis://127.0.0.1:6379); "
                    + "see docs/cluster.md. Same as cluster.redis in the file or CONDUIT_CLUSTER_REDIS.")
    String cluster;
    @Option(names = "--durable-sessions",
            description = "With --cluster: keep every session's state in Redis as it flows, so that a session survives"
                    + " even a kill -9 of its node (docs/cluster.md, \"Durable sessions\"); every node must say the same."
                    + " Same as cluster.durableSessions or CONDUIT_CLUSTER_DURABLE_SESSIONS.")
    boolean durableSessions;

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML settings file; environment variables (CONDUIT_*) override it, flags override both.")
    Path config;

    @Override
    public Integer call() throws Exception {
        ServerConfig serverConfig;
        try {
            serverConfig = config(System.getenv());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e);
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof JsonProcessingException yaml && config != null) {
                throw new ConfigException(new IllegalArgumentException(Errors.yaml(config, yaml), e));
            }
            throw new ConfigException(e);
        }
        Server server = Server.create(serverConfig).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "conduit-shutdown"));
        InetSocketAddress address = server.address();
        boolean tls = serverConfig.tlsEnabled();
        spec.commandLine().getOut().printf("conduit server %s listening on %s://%s:%d%n", server.serverId(),
                tls ? "tls" : "tcp", hostForUrl(address.getHostString()), address.getPort());
        if (serverConfig.unixSocket() != null) {
            spec.commandLine().getOut().printf("conduit server %s listening on unix://%s%n", server.serverId(),
                    serverConfig.unixSocket().path());
        }
        dev.conduit.zeromq.ZeroMqGateway.of(server).ifPresent(zmq -> {
            int[] p = zmq.ports();
            spec.commandLine().getOut().printf("conduit server %s zeromq gateway on ports pub %d, sub %d, req %d, push %d,"
                    + " rep %d%n", server.serverId(), p[0], p[1], p[2], p[3], p[4]);
        });
        if (serverConfig.http().enabled()) {
            InetSocketAddress http = server.httpAddress();
            spec.commandLine().getOut().printf("conduit server %s http on %s://%s:%d/%n", server.serverId(),
                    tls ? "https" : "http", hostForUrl(http.getHostString()), http.getPort());
        }
        spec.commandLine().getOut().flush();
        stopped.await(); // until SIGINT or SIGTERM runs the shutdown hook
        return ExitCode.OK.code;
    }

    /** The settings: the file, then the environment, then the flags. */
    private ServerConfig config(Map<String, String> environment) {
        ServerConfig.Builder builder = config == null ? ServerConfig.builder() : ServerConfig.load(config);
        builder.applyEnvironment(environment);
        // Through set(), so that a bad value, now or in build(), is reported as coming from the flag.
        if (host != null) {
            builder.set("host", host, "--host");
        }
        if (port != null) {
            builder.set("port", String.valueOf(port), "--port");
        }
        if (httpPort != null) {
            builder.set("httpPort", String.valueOf(httpPort), "--http-port");
        }
        if (tlsCert != null) {
            builder.set("tlsCert", tlsCert, "--tls-cert");
        }
        if (tlsKey != null) {
            builder.set("tlsKey", tlsKey, "--tls-key");
        }
        if (unixSocket != null) {
            builder.set("unixSocket", unixSocket, "--unix-socket");
        }
        if (zmqPort != null) {
            builder.set("zeromqPort", String.valueOf(zmqPort), "--zmq-port");
        }
        if (cluster != null) {
            builder.set("clusterRedis", cluster, "--cluster");
        }
        if (durableSessions) {
            builder.set("clusterDurableSessions", "true", "--durable-sessions");
        }
        return builder.build();
    }

    private static String hostForUrl(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }
}
