package dev.conduit.benchmarks;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.Subscription;
import dev.conduit.transport.ClientTls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * The Conduit side of W1-W6, against a server on 127.0.0.1:port (in another process or not); for the
 * cluster workloads (C1, C2) the sending side (publisher, requester) and the receiving side
 * (subscribers, responder) may connect to two different nodes, and for the TLS rows over tls://.
 */
final class ConduitBench implements Workloads {
    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final String sendUrl;
    private final String receiveUrl;
    private final ClientTls tls;

    ConduitBench(int port) {
        this("tcp://127.0.0.1:" + port, "tcp://127.0.0.1:" + port, ClientTls.DEFAULT);
    }

    /**
     * Publishers and requesters connect to {@code sendUrl}, subscribers and responders to {@code
     * receiveUrl}. When the two differ (nodes of a cluster), each run first waits until the sending
     * node has learnt the receiving side's interest (a probe message or request gets through): that
     * interest travels between nodes asynchronously, as in a NATS cluster.
     */
    ConduitBench(String sendUrl, String receiveUrl, ClientTls tls) {
        this.sendUrl = sendUrl;
        this.receiveUrl = receiveUrl;
        this.tls = tls;
    }

    private boolean crossNode() {
        return !sendUrl.equals(receiveUrl);
    }

    private Client connect(Arrivals arrivals) {
        return connectReporting(receiveUrl, arrivals == null ? null : arrivals::skipped);
    }

    private Client connectSender() {
        return connectReporting(sendUrl, null);
    }

    private Client connectReporting(java.util.function.LongConsumer skipped) {
        return connectReporting(receiveUrl, skipped);
    }

    /** A client that reports what the server skipped (GAP, slow consumer) to {@code skipped}, if not null. */
    private Client connectReporting(String url, java.util.function.LongConsumer skipped) {
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
                .endpoints(url)
                .tls(tls)
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
    public double[] stream(int count, int size, int subscribers, String queue, Deadline deadline) throws Exception {
        String subject = subject("stream");
        long expected = queue == null ? (long) count * subscribers : count;
        Arrivals arrivals = new Arrivals(expected);
        List<Client> subs = new ArrayList<>();
        long lost = 0;
        try (Client publisher = connectSender()) {
            CountDownLatch ready = new CountDownLatch(1);
            for (int s = 0; s < subscribers; s++) {
                Client sub = connect(arrivals);
                subs.add(sub);
                sub.subscribe(subject, queue, m -> arrivals.arrived());
                if (crossNode() && s == 0) {
                    // after the measured subscription, so that its interest is known once this one's is
                    sub.subscribe(subject + ".ready", m -> ready.countDown());
                }
                flush(sub, deadline);
            }
            if (crossNode()) {
                awaitInterest(() -> publisher.publish(subject + ".ready", new byte[1]), ready, deadline);
            }
            publish(publisher, subject, count, size, deadline);
            if (crossNode()) {
                lost = arrivals.awaitOrStall(deadline, "subscribers", Arrivals.STALL);
            } else {
                arrivals.await(deadline, "subscribers");
            }
        } finally {
            subs.forEach(Client::close);
        }
        if (arrivals.skippedCount() > 0) {
            Runs.log("  conduit: %d messages skipped (GAP / slow consumer) of %d", arrivals.skippedCount(), expected);
        }
        if (lost > 0) {
            Runs.log("  conduit: %d messages of %d never arrived (nothing for %s)", lost, expected, Arrivals.STALL);
        }
        return new double[] {arrivals.rate(), arrivals.delivered(), arrivals.skippedCount() + lost};
    }

    /**
     * Sends a probe every 20 ms until {@code arrived} opens: the sending node then routes the
     * subject to the receiving node (cluster interest is propagated asynchronously).
     */
    static void awaitInterest(ProbeSender probe, CountDownLatch arrived, Deadline deadline) throws Exception {
        while (!arrived.await(20, TimeUnit.MILLISECONDS)) {
            deadline.check("waiting for the subscription to reach the publisher's node");
            probe.send();
        }
    }

    /** Sends one probe message or request. */
    @FunctionalInterface
    interface ProbeSender {
        void send() throws Exception;
    }

    /** W9: publish-to-delivery latency at a fixed rate, 1 -> 1; p50, p99, p99.9 (us) and skipped. */
    double[] fixedRate(int count, double rate, Deadline deadline) throws Exception {
        String subject = subject("fixed");
        FixedRate run = new FixedRate(count);
        try (Client publisher = connectSender(); Client sub = connectReporting(run::skipped)) {
            sub.subscribe(subject, m -> run.arrived(m.payload()));
            flush(sub, deadline);
            FixedRate.publish(count, rate, deadline, p -> publisher.publish(subject, p));
            flush(publisher, deadline);
            run.await(deadline);
        }
        return run.result();
    }

    /** W3: one requester waiting for each reply; p50, p99, p99.9 in microseconds. */
    public double[] pingPong(int count, int size, Deadline deadline) throws Exception {
        String subject = subject("rr");
        byte[] payload = new byte[size];
        Histogram h = Runs.histogram();
        try (Client responder = connect(null); Client requester = connectSender()) {
            responder.subscribe(subject, m -> m.reply(m.payload()));
            flush(responder, deadline);
            if (crossNode()) {
                awaitResponder(requester, subject, deadline);
            }
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
    public double[] pipelined(int count, int inflight, int size, Deadline deadline) throws Exception {
        String subject = subject("rr4");
        byte[] payload = new byte[size];
        try (Client responder = connect(null); Client requester = connectSender()) {
            responder.subscribe(subject, m -> m.reply(m.payload()));
            flush(responder, deadline);
            if (crossNode()) {
                awaitResponder(requester, subject, deadline);
            }
            return Runs.inFlight(count, inflight, deadline, () -> requester.request(subject, payload, REQUEST_TIMEOUT));
        }
    }

    /** Until a request from the sending node is answered (before that: NO_RESPONDERS, the interest not there yet). */
    private static void awaitResponder(Client requester, String subject, Deadline deadline) throws Exception {
        while (true) {
            try {
                requester.request(subject, new byte[1], Duration.ofSeconds(1)).get(2, TimeUnit.SECONDS);
                return;
            } catch (java.util.concurrent.ExecutionException | TimeoutException notYet) {
                deadline.check("waiting for the responder to reach the requester's node");
                Thread.sleep(20);
            }
        }
    }
}
