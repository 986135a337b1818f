package dev.conduit.benchmarks;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import io.nats.client.Options;
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

/** The NATS side of W1-W5 (jnats against a nats-server on 127.0.0.1:port), shaped like {@link ConduitBench}. */
final class NatsBench {
    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final int port;

    NatsBench(int port) {
        this.port = port;
    }

    private Connection connect() throws Exception {
        return Nats.connect(new Options.Builder()
                .server("nats://127.0.0.1:" + port)
                .connectionName("bench")
                .maxReconnects(0)
                .build());
    }

    private static String subject(String workload) {
        return "bench." + workload + "." + RUNS.incrementAndGet();
    }

    double[] stream(int count, int size, int subscribers, String queue, Deadline deadline) throws Exception {
        String subject = subject("stream");
        long expected = queue == null ? (long) count * subscribers : count;
        Arrivals arrivals = new Arrivals(expected);
        List<Connection> subs = new ArrayList<>();
        List<Dispatcher> dispatchers = new ArrayList<>();
        long dropped = 0;
        try (Connection publisher = connect()) {
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
                sub.flush(deadline.remaining());
            }
            byte[] payload = new byte[size];
            for (int i = 0; i < count; i++) {
                publisher.publish(subject, payload);
                if ((i & 1023) == 0) {
                    deadline.check("publishing");
                }
            }
            publisher.flush(deadline.remaining());
            arrivals.await(deadline, "subscribers");
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
        return new double[] {arrivals.rate(), arrivals.delivered(), dropped};
    }

    /** W9: as {@link ConduitBench#fixedRate}. */
    double[] fixedRate(int count, double rate, Deadline deadline) throws Exception {
        String subject = subject("fixed");
        FixedRate run = new FixedRate(count);
        long dropped;
        try (Connection publisher = connect(); Connection sub = connect()) {
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

    double[] pingPong(int count, int size, Deadline deadline) throws Exception {
        String subject = subject("rr");
        byte[] payload = new byte[size];
        Histogram h = Runs.histogram();
        try (Connection responder = connect(); Connection requester = connect()) {
            Dispatcher d = responder.createDispatcher(m -> responder.publish(m.getReplyTo(), m.getData()));
            d.subscribe(subject);
            responder.flush(deadline.remaining());
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

    double[] pipelined(int count, int inflight, int size, Deadline deadline) throws Exception {
        String subject = subject("rr4");
        byte[] payload = new byte[size];
        try (Connection responder = connect(); Connection requester = connect()) {
            Dispatcher d = responder.createDispatcher(m -> responder.publish(m.getReplyTo(), m.getData()));
            d.subscribe(subject);
            responder.flush(deadline.remaining());
            return Runs.inFlight(count, inflight, deadline, () -> requester.requestWithTimeout(subject, payload, REQUEST_TIMEOUT));
        }
    }
}
