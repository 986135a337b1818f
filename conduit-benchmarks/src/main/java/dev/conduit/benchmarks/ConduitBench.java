package dev.conduit.benchmarks;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/** The Conduit side of W1-W6, against a server on 127.0.0.1:port (in another process or not). */
final class ConduitBench {
    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final int port;

    ConduitBench(int port) {
        this.port = port;
    }

    private Client connect(Arrivals arrivals) {
        return connectReporting(arrivals == null ? null : arrivals::skipped);
    }

    /** A client that reports what the server skipped (GAP, slow consumer) to {@code skipped}, if not null. */
    private Client connectReporting(java.util.function.LongConsumer skipped) {
        ClientListener listener = new ClientListener() {
            @Override
            public void onGap(Subscription subscription, long dropped) {
                if (skipped != null) {
                    skipped.accept(dropped);
                }
            }

            @Override
            public void onSlowConsumer(Subscription subscription, long dropped) {
                if (skipped != null) {
                    skipped.accept(dropped);
                }
            }
        };
        return Client.connect(ClientOptions.builder()
                .endpoints("tcp://127.0.0.1:" + port)
                .clientName("bench")
                .initialConnectJitter(Duration.ZERO)
                .maxPendingMessagesPerSubscription(1 << 22)
                .listener(listener)
                .build());
    }

    private static String subject(String workload) {
        return "bench." + workload + "." + RUNS.incrementAndGet();
    }

    private static void flush(Client client, Deadline deadline) throws Exception {
        client.flush(deadline.remaining()).get(deadline.remainingNanos() + 1_000_000, TimeUnit.NANOSECONDS);
    }

    private static void publish(Client publisher, String subject, int count, int size, Deadline deadline)
            throws Exception {
        byte[] payload = new byte[size];
        for (int i = 0; i < count; i++) {
            publisher.publish(subject, payload);
            if ((i & 1023) == 0) {
                deadline.check("publishing");
            }
        }
        flush(publisher, deadline);
    }

    /**
     * W1/W2/W5/W6: one publisher, {@code subscribers} subscriber connections (in one queue group if
     * {@code queue} is not null); returns delivered messages per second at the subscribers.
     */
    double[] stream(int count, int size, int subscribers, String queue, Deadline deadline) throws Exception {
        String subject = subject("stream");
        long expected = queue == null ? (long) count * subscribers : count;
        Arrivals arrivals = new Arrivals(expected);
        List<Client> subs = new ArrayList<>();
        try (Client publisher = connect(null)) {
            for (int s = 0; s < subscribers; s++) {
                Client sub = connect(arrivals);
                subs.add(sub);
                sub.subscribe(subject, queue, m -> arrivals.arrived());
                flush(sub, deadline);
            }
            publish(publisher, subject, count, size, deadline);
            arrivals.await(deadline, "subscribers");
        } finally {
            subs.forEach(Client::close);
        }
        if (arrivals.skippedCount() > 0) {
            Runs.log("  conduit: %d messages skipped (GAP / slow consumer) of %d", arrivals.skippedCount(), expected);
        }
        return new double[] {arrivals.rate(), arrivals.delivered(), arrivals.skippedCount()};
    }

    /** W9: publish-to-delivery latency at a fixed rate, 1 -> 1; p50, p99, p99.9 (us) and skipped. */
    double[] fixedRate(int count, double rate, Deadline deadline) throws Exception {
        String subject = subject("fixed");
        FixedRate run = new FixedRate(count);
        try (Client publisher = connectReporting(null); Client sub = connectReporting(run::skipped)) {
            sub.subscribe(subject, m -> run.arrived(m.payload()));
            flush(sub, deadline);
            FixedRate.publish(count, rate, deadline, p -> publisher.publish(subject, p));
            flush(publisher, deadline);
            run.await(deadline);
        }
        return run.result();
    }

    /** W3: one requester waiting for each reply; p50, p99, p99.9 in microseconds. */
    double[] pingPong(int count, int size, Deadline deadline) throws Exception {
        String subject = subject("rr");
        byte[] payload = new byte[size];
        Histogram h = Runs.histogram();
        try (Client responder = connect(null); Client requester = connect(null)) {
            responder.subscribe(subject, m -> m.reply(m.payload()));
            flush(responder, deadline);
            for (int i = 0; i < count; i++) {
                long t0 = System.nanoTime();
                requester.request(subject, payload, REQUEST_TIMEOUT)
                        .get(deadline.remainingNanos() + 1_000_000, TimeUnit.NANOSECONDS);
                h.recordValue(System.nanoTime() - t0);
                if ((i & 63) == 0) {
                    deadline.check("requests");
                }
            }
        }
        return Runs.percentilesMicros(h);
    }

    /** W4: {@code inflight} requests in flight over one connection; replies/s and p99 (us). */
    double[] pipelined(int count, int inflight, int size, Deadline deadline) throws Exception {
        String subject = subject("rr4");
        byte[] payload = new byte[size];
        try (Client responder = connect(null); Client requester = connect(null)) {
            responder.subscribe(subject, m -> m.reply(m.payload()));
            flush(responder, deadline);
            return Runs.inFlight(count, inflight, deadline, () -> requester.request(subject, payload, REQUEST_TIMEOUT));
        }
    }
}
