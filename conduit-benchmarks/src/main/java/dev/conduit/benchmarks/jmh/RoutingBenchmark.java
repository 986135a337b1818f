package dev.conduit.benchmarks.jmh;

import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Publish to deliver through an embedded server: one publisher and 1 or 4 subscribers of the same
 * subject, all clients of one server, in-process ({@link Server#localConnector()}, no socket, frames
 * cross as objects) or over loopback TCP. Each invocation publishes {@value #BATCH} messages of 16
 * bytes (or {@code payloadSize}) and returns once every subscriber has received all of them.
 *
 * <p>The primary score is publishes per second ({@code @OperationsPerInvocation}); the secondary
 * score {@code deliveries} counts messages received, summed over the subscribers (publishes x
 * subscribers).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "--enable-native-access=ALL-UNNAMED"})
public class RoutingBenchmark {
    static final int BATCH = 1000;
    private static final String SUBJECT = "bench.route.orders";

    /** Subscribers of the subject, each its own client. */
    @Param({"1", "4"})
    public int subscribers;

    /** How the clients reach the server: {@code local} (in-process) or {@code tcp} (127.0.0.1). */
    @Param({"local", "tcp"})
    public String transport;

    /** Payload bytes of each message (16 by default, as in W1; {@code -p payloadSize=1024} for larger bodies). */
    @Param({"16"})
    public int payloadSize;

    private final Deliveries deliveries = new Deliveries();
    private final List<Client> clients = new ArrayList<>();
    private byte[] payload;
    private Server server;
    private Client publisher;

    /** Messages received, summed over the subscribers; reported per second next to the primary score. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long deliveries;

        @Setup(Level.Iteration)
        public void reset() {
            deliveries = 0;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        payload = new byte[payloadSize];
        server = Server.create(ServerConfig.builder().host("127.0.0.1").port(0).build()).start();
        for (int i = 0; i < subscribers; i++) {
            Client c = connect();
            c.subscribe(SUBJECT, deliveries.handler());
            Deliveries.flush(c);
        }
        publisher = connect();
    }

    private Client connect() {
        Client c = switch (transport) {
            case "local" -> Client.connectLocal(server.localConnector());
            case "tcp" -> Client.connect(ClientOptions.builder()
                    .endpoints("tcp://127.0.0.1:" + server.address().getPort())
                    .clientName("jmh").initialConnectJitter(Duration.ZERO).build());
            default -> throw new IllegalArgumentException("transport must be local or tcp: " + transport);
        };
        clients.add(c);
        return c;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void publishAndDeliver(Counters counters) throws InterruptedException {
        deliveries.expect((long) BATCH * subscribers);
        for (int i = 0; i < BATCH; i++) {
            publisher.publish(SUBJECT, payload);
        }
        deliveries.await();
        counters.deliveries += (long) BATCH * subscribers;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Client c : clients) {
            c.close();
        }
        clients.clear();
        if (server != null) {
            server.close();
        }
    }
}
