package dev.conduit.benchmarks.jmh;

import dev.conduit.client.Client;
import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import java.util.concurrent.TimeUnit;
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
 * Subject matching as routing sees it, through the public API only: the server's index ({@code
 * SubjectIndex}) is package-private and this module does not change the server, so matching is not
 * measured alone but as part of publish to deliver (in-process clients).
 *
 * <p>The server holds {@code subscriptions} subscriptions in all. One matches every published
 * subject {@code bench.s.match.x} through wildcards ({@code bench.*.match.>}); the others, made by a
 * second client, match nothing but share the walk: a quarter are literal siblings ({@code
 * bench.f<i>.match.x}), a quarter sit under the same {@code *} node ({@code bench.*.f<i>.x}), a
 * quarter end in {@code >} ({@code bench.f<i>.>}), a quarter start elsewhere ({@code f<i>.*.match.>}).
 * Each invocation publishes {@value #BATCH} messages and waits for their {@value #BATCH} deliveries.
 * A score that stays flat as {@code subscriptions} grows says the match does not scan them; the
 * absolute numbers are mostly the cost of publishing and delivering.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "--enable-native-access=ALL-UNNAMED"})
public class SubjectMatchBenchmark {
    static final int BATCH = 1000;
    private static final String SUBJECT = "bench.s.match.x";

    /** Subscriptions the server holds, the one that matches included. */
    @Param({"10", "1000", "100000"})
    public int subscriptions;

    private final Deliveries deliveries = new Deliveries();
    private final byte[] payload = new byte[16];
    private Server server;
    private Client filler;
    private Client subscriber;
    private Client publisher;

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        if (subscriptions < 1) {
            throw new IllegalArgumentException("subscriptions must be at least 1: " + subscriptions);
        }
        server = Server.create(ServerConfig.builder().host("127.0.0.1").port(0).build()).start();
        filler = Client.connectLocal(server.localConnector());
        for (int i = 0; i < subscriptions - 1; i++) {
            String pattern = switch (i % 4) {
                case 0 -> "bench.f" + i + ".match.x";
                case 1 -> "bench.*.f" + i + ".x";
                case 2 -> "bench.f" + i + ".>";
                default -> "f" + i + ".*.match.>";
            };
            filler.subscribe(pattern, m -> {
                throw new IllegalStateException("filler subscription " + pattern + " got " + m.subject());
            });
        }
        Deliveries.flush(filler);
        subscriber = Client.connectLocal(server.localConnector());
        subscriber.subscribe("bench.*.match.>", deliveries.handler());
        Deliveries.flush(subscriber);
        publisher = Client.connectLocal(server.localConnector());
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void publishAndDeliver() throws InterruptedException {
        deliveries.expect(BATCH);
        for (int i = 0; i < BATCH; i++) {
            publisher.publish(SUBJECT, payload);
        }
        deliveries.await();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Client c : new Client[] {publisher, subscriber, filler}) {
            if (c != null) {
                c.close();
            }
        }
        if (server != null) {
            server.close();
        }
    }
}
