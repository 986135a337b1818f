package dev.conduit.benchmarks;

import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * W9's fixed-rate publisher and its receiving end, the same for Conduit and NATS: each 16-byte
 * payload carries the time it was <em>due</em> to be sent ({@link System#nanoTime()}, this JVM,
 * which also runs the subscriber), the publisher paces itself to {@code rate} messages a second, and
 * the subscriber records arrival minus due time. Measuring from the due time rather than the actual
 * send counts a publisher held up (by back-pressure, a pause) against the system, so coordinated
 * omission does not hide queueing.
 */
final class FixedRate {
    private final long expected;
    private final Recorder latencies = new Recorder(3);
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final CountDownLatch done = new CountDownLatch(1);

    FixedRate(long expected) {
        this.expected = expected;
    }

    /** Payload bytes of each message. */
    static final int SIZE = BenchConfig.SMALL;

    interface Send {
        void send(byte[] payload) throws Exception;
    }

    /** Sends {@code count} messages at {@code rate} a second, each stamped with its due time. */
    static void publish(int count, double rate, Deadline deadline, Send send) throws Exception {
        double interval = 1e9 / rate;
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long due = start + (long) (i * interval);
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                if (wait > 50_000) {
                    LockSupport.parkNanos(wait - 50_000);
                } else {
                    Thread.onSpinWait();
                }
            }
            byte[] payload = new byte[SIZE];
            ByteBuffer.wrap(payload).putLong(due);
            send.send(payload);
            if ((i & 1023) == 0) {
                deadline.check("publishing at a fixed rate");
            }
        }
    }

    /** The subscriber's handler: one message arrived with this payload. */
    void arrived(byte[] payload) {
        long latency = System.nanoTime() - ByteBuffer.wrap(payload).getLong();
        latencies.recordValue(Math.max(0, latency));
        check(received.incrementAndGet() + skipped.get());
    }

    void skipped(long messages) {
        check(received.get() + skipped.addAndGet(messages));
    }

    private void check(long total) {
        if (total >= expected) {
            done.countDown();
        }
    }

    void await(Deadline deadline) throws Exception {
        deadline.await(done, "fixed-rate subscriber (received " + received.get() + " of " + expected + ")");
    }

    /** p50, p99, p99.9 in microseconds, and the messages skipped. */
    double[] result() {
        Histogram h = latencies.getIntervalHistogram();
        double[] p = Runs.percentilesMicros(h);
        return new double[] {p[0], p[1], p[2], skipped.get()};
    }
}
