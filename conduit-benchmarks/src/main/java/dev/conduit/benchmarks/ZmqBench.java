package dev.conduit.benchmarks;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * W6, the JeroMQ side: PUSH/PULL and REQ/REP over tcp://127.0.0.1, both ends in this process (ZeroMQ
 * is brokerless: there is no server hop).
 */
final class ZmqBench {
    private static final int POLL_MS = 200;

    /** PUSH -> PULL, {@code count} messages; messages per second at the PULL side. */
    double[] pushPull(int count, int size, Deadline deadline) throws Exception {
        try (ZContext ctx = new ZContext()) {
            ZMQ.Socket pull = ctx.createSocket(SocketType.PULL);
            pull.setReceiveTimeOut(POLL_MS);
            pull.setRcvHWM(100_000);
            int port = pull.bindToRandomPort("tcp://127.0.0.1");
            ZMQ.Socket push = ctx.createSocket(SocketType.PUSH);
            push.setSndHWM(100_000);
            push.setSendTimeOut(POLL_MS);
            push.setLinger(0);
            push.connect("tcp://127.0.0.1:" + port);
            CompletableFuture<double[]> received = CompletableFuture.supplyAsync(() -> {
                long first = 0;
                long n = 0;
                while (n < count && deadline.remainingNanos() > 0) {
                    byte[] m = pull.recv(0);
                    if (m != null) {
                        if (n++ == 0) {
                            first = System.nanoTime();
                        }
                    }
                }
                return new double[] {Runs.rate(n, first, System.nanoTime()), n};
            });
            byte[] payload = new byte[size];
            for (int i = 0; i < count; i++) {
                while (!push.send(payload, 0)) {
                    deadline.check("PUSH");
                }
                if ((i & 1023) == 0) {
                    deadline.check("PUSH");
                }
            }
            double[] r = received.get(deadline.remainingNanos() + 1_000_000_000L, TimeUnit.NANOSECONDS);
            if (r[1] < count) {
                throw new TimeoutException("PULL received " + (long) r[1] + " of " + count + " within " + deadline.budget());
            }
            return r;
        }
    }

    /** REQ -> REP, one request at a time; p50, p99, p99.9 in microseconds. */
    double[] reqRep(int count, int size, Deadline deadline) throws Exception {
        try (ZContext ctx = new ZContext()) {
            ZMQ.Socket rep = ctx.createSocket(SocketType.REP);
            rep.setReceiveTimeOut(POLL_MS);
            int port = rep.bindToRandomPort("tcp://127.0.0.1");
            ZMQ.Socket req = ctx.createSocket(SocketType.REQ);
            req.setReceiveTimeOut((int) Math.min(Integer.MAX_VALUE, deadline.remaining().toMillis()));
            req.setLinger(0);
            req.connect("tcp://127.0.0.1:" + port);
            CompletableFuture<Void> replier = CompletableFuture.runAsync(() -> {
                int answered = 0;
                while (answered < count && deadline.remainingNanos() > 0) {
                    byte[] m = rep.recv(0);
                    if (m != null) {
                        rep.send(m, 0);
                        answered++;
                    }
                }
            });
            byte[] payload = new byte[size];
            Histogram h = Runs.histogram();
            for (int i = 0; i < count; i++) {
                long t0 = System.nanoTime();
                req.send(payload, 0);
                if (req.recv(0) == null) {
                    throw new TimeoutException("REQ: no reply within " + deadline.budget());
                }
                h.recordValue(System.nanoTime() - t0);
                if ((i & 63) == 0) {
                    deadline.check("REQ");
                }
            }
            replier.get(deadline.remainingNanos() + 1_000_000_000L, TimeUnit.NANOSECONDS);
            return Runs.percentilesMicros(h);
        }
    }
}
