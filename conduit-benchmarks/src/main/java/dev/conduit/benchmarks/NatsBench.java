package dev.conduit.benchmarks;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * The NATS side of W1-W5 (jnats against a nats-server on 127.0.0.1:port), shaped like {@link
 * ConduitBench}: for the cluster workloads the sending and the receiving side may connect to two
 * servers of a cluster (routes), and for the TLS rows over TLS with {@code sslContext}.
 */
final class NatsBench implements Workloads {
    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final String sendUrl;
    private final String receiveUrl;
    private final SSLContext sslContext;

    NatsBench(int port) {
        this("nats://127.0.0.1:" + port, "nats://127.0.0.1:" + port, null);
    }

    /** As {@link ConduitBench#ConduitBench(String, String, dev.conduit.transport.ClientTls)}; {@code sslContext} null for none. */
    NatsBench(String sendUrl, String receiveUrl, SSLContext sslContext) {
        this.sendUrl = sendUrl;
        this.receiveUrl = receiveUrl;
        this.sslContext = sslContext;
    }

    private boolean crossNode() {
        return !sendUrl.equals(receiveUrl);
    }

    private Connection connect() throws Exception {
        return connect(receiveUrl);
    }

    private Connection connectSender() throws Exception {
        return connect(sendUrl);
    }

    private Connection connect(String url) throws Exception {
        Options.Builder options = new Options.Builder()
                .server(url)
                .connectionName("bench")
                .maxReconnects(0);
        if (sslContext != null) {
            options.sslContext(sslContext);
        }
        return Nats.connect(options.build());
    }

    private static String subject(String workload) {
        return "bench." + workload + "." + RUNS.incrementAndGet();
    }

    public double[] stream(int count, int size, int subscribers, String queue, Deadline deadline) throws Exception {
        String subject = subject("stream");
        long expected = queue == null ? (long) count * subscribers : count;
        Arrivals arrivals = new Arrivals(expected);
        List<Connection> subs = new ArrayList<>();
        List<Dispatcher> dispatchers = new ArrayList<>();
        long dropped = 0;
        long lost = 0;
        try (Connection publisher = connectSender()) {
            CountDownLatch ready = new CountDownLatch(1);
            for (int s = 0; s < subscribers; s++) {
                Connection sub = connect();
                subs.add(sub);
                Dispatcher d = sub.createDispatcher(m -> arrivals.arrived());
                d.setPendingLimits(50_000_000, 4L << 30);
                dispatchers.add(d);
                if (queue == null) {
                    d.subscribe(subject);
                } else {
                    d.subscribe(subject, queue);
                }
                if (crossNode() && s == 0) {
                    // after the measured subscription: the route carries interest in order
                    sub.createDispatcher(m -> ready.countDown()).subscribe(subject + ".ready");
                }
                sub.flush(deadline.remaining());
            }
            if (crossNode()) {
                ConduitBench.awaitInterest(() -> publisher.publish(subject + ".ready", new byte[1]), ready, deadline);
            }
            byte[] payload = new byte[size];
            for (int i = 0; i < count; i++) {
                publisher.publish(subject, payload);
                if ((i & 1023) == 0) {
                    deadline.check("publishing");
                }
            }
            publisher.flush(deadline.remaining());
            if (crossNode()) {
                lost = arrivals.awaitOrStall(deadline, "subscribers", Arrivals.STALL);
            } else {
                arrivals.await(deadline, "subscribers");
            }
        } finally {
            for (Dispatcher d : dispatchers) {
                dropped += d.getDroppedCount();
            }
            for (Connection c : subs) {
                c.close();
            }
        }
        if (dropped > 0) {
            Runs.log("  nats: %d messages dropped by slow dispatchers", dropped);
        }
        if (lost > dropped) {
            Runs.log("  nats: %d messages of %d never arrived (nothing for %s)", lost - dropped, expected, Arrivals.STALL);
        }
        // a dispatcher's drops are among what never arrived (Arrivals does not hear of them)
        return new double[] {arrivals.rate(), arrivals.delivered(), Math.max(dropped, lost)};
    }

    /** W9: as {@link ConduitBench#fixedRate}. */
    double[] fixedRate(int count, double rate, Deadline deadline) throws Exception {
        String subject = subject("fixed");
        FixedRate run = new FixedRate(count);
        long dropped;
        try (Connection publisher = connectSender(); Connection sub = connect()) {
            Dispatcher d = sub.createDispatcher(m -> run.arrived(m.getData()));
            d.setPendingLimits(50_000_000, 4L << 30);
            d.subscribe(subject);
            sub.flush(deadline.remaining());
            FixedRate.publish(count, rate, deadline, p -> publisher.publish(subject, p));
            publisher.flush(deadline.remaining());
            try {
                run.await(deadline);
            } finally {
                dropped = d.getDroppedCount();
            }
        }
        double[] r = run.result();
        r[3] = dropped;
        return r;
    }

    public double[] pingPong(int count, int size, Deadline deadline) throws Exception {
        String subject = subject("rr");
        byte[] payload = new byte[size];
        Histogram h = Runs.histogram();
        try (Connection responder = connect(); Connection requester = connectSender()) {
            Dispatcher d = responder.createDispatcher(m -> responder.publish(m.getReplyTo(), m.getData()));
            d.subscribe(subject);
            responder.flush(deadline.remaining());
            if (crossNode()) {
                awaitResponder(requester, subject, deadline);
            }
            for (int i = 0; i < count; i++) {
                long t0 = System.nanoTime();
                if (requester.request(subject, payload, REQUEST_TIMEOUT) == null) {
                    throw new TimeoutException("no reply within " + REQUEST_TIMEOUT);
                }
                h.recordValue(System.nanoTime() - t0);
                if ((i & 63) == 0) {
                    deadline.check("requests");
                }
            }
        }
        return Runs.percentilesMicros(h);
    }

    public double[] pipelined(int count, int inflight, int size, Deadline deadline) throws Exception {
        String subject = subject("rr4");
        byte[] payload = new byte[size];
        try (Connection responder = connect(); Connection requester = connectSender()) {
            Dispatcher d = responder.createDispatcher(m -> responder.publish(m.getReplyTo(), m.getData()));
            d.subscribe(subject);
            responder.flush(deadline.remaining());
            if (crossNode()) {
                awaitResponder(requester, subject, deadline);
            }
            return Runs.inFlight(count, inflight, deadline, () -> requester.requestWithTimeout(subject, payload, REQUEST_TIMEOUT));
        }
    }

    /** Until a request from the sending server is answered (before that: no responders, the interest not there yet). */
    private static void awaitResponder(Connection requester, String subject, Deadline deadline) throws Exception {
        while (true) {
            try {
                if (requester.request(subject, new byte[1], Duration.ofSeconds(1)) != null) {
                    return;
                }
            } catch (RuntimeException notYet) {
                // no responders yet (jnats reports the 503 status as an exception or a null reply)
            }
            deadline.check("waiting for the responder to reach the requester's server");
            Thread.sleep(20);
        }
    }
}
