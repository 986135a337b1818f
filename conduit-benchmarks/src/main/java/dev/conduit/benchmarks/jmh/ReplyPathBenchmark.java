package dev.conduit.benchmarks.jmh;

import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.Message;
import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The reply path: one request of 16 bytes at a time, from a requester client through an embedded
 * server to a responder client whose handler replies with the payload, and back; in-process ({@link
 * Client#connectLocal}, frames cross as objects, so this is Conduit's own per-request work: sequencing,
 * routing, the inbox, the futures and their hand-offs) or over loopback TCP.
 *
 * <p>Score: microseconds per round trip (average time); {@code -bm sample} gives percentiles.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "--enable-native-access=ALL-UNNAMED"})
public class ReplyPathBenchmark {
    private static final String SUBJECT = "bench.reply.echo";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** How the clients reach the server: {@code local} (in-process) or {@code tcp} (127.0.0.1). */
    @Param({"local", "tcp"})
    public String transport;

    private final byte[] payload = new byte[16];
    private Server server;
    private Client responder;
    private Client requester;

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        server = Server.create(ServerConfig.builder().host("127.0.0.1").port(0).build()).start();
        responder = connect();
        responder.subscribe(SUBJECT, m -> m.reply(m.payload()));
        Deliveries.flush(responder);
        requester = connect();
    }

    private Client connect() {
        return switch (transport) {
            case "local" -> Client.connectLocal(server.localConnector());
            case "tcp" -> Client.connect(ClientOptions.builder()
                    .endpoints("tcp://127.0.0.1:" + server.address().getPort())
                    .clientName("jmh").initialConnectJitter(Duration.ZERO).build());
            default -> throw new IllegalArgumentException("transport must be local or tcp: " + transport);
        };
    }

    /** One request and its reply; returns the reply's payload length. */
    @Benchmark
    public int requestReply() throws InterruptedException, ExecutionException, TimeoutException {
        Message reply = requester.request(SUBJECT, payload, TIMEOUT).get(TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        return reply.payload().length;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (requester != null) {
            requester.close();
        }
        if (responder != null) {
            responder.close();
        }
        if (server != null) {
            server.close();
        }
    }
}
