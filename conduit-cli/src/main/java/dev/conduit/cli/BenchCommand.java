package dev.conduit.cli;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.NoRespondersException;
import dev.conduit.client.RequestTimeoutException;
import dev.conduit.client.Subscription;
import dev.conduit.protocol.ConduitException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code conduit bench}: measures a server's throughput and latency from this process. */
@Command(name = "bench", description = "Measure throughput and latency against a server, from this process.",
        subcommands = {BenchCommand.PubSub.class, BenchCommand.ReqReply.class})
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing required mode: pubsub or reqreply");
    }

    /** What both modes share: the server, how much to send, the time limit and the progress bar. */
    abstract static class Mode implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ServerOption server;

        @Option(names = "--count", paramLabel = "N", defaultValue = "100000",
                description = "Messages (pubsub) or requests (reqreply) to send (default: ${DEFAULT-VALUE}).")
        long count;

        @Option(names = "--size", paramLabel = "BYTES", defaultValue = "128",
                description = "Payload bytes of each message or request (default: ${DEFAULT-VALUE}).")
        int size;

        @Option(names = "--warmup", paramLabel = "N", defaultValue = "0",
                description = "Send N messages or requests first, not measured, so that the JIT has compiled "
                        + "the paths (default: ${DEFAULT-VALUE}). Short runs without it mostly measure a cold JVM.")
        long warmup;

        @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
                description = "Give up if the run has not finished by then, printing what was measured (default: "
                        + "60s, or with pubsub --rate the run's own length, (warmup + count) / rate, plus 60s).")
        Duration timeout;

        /** The default --timeout: 60 s, or a paced run's own length plus 60 s. */
        static Duration defaultTimeout(long messages, long rate) {
            Duration margin = Duration.ofSeconds(60);
            if (rate <= 0) {
                return margin;
            }
            return margin.plusNanos((long) Math.ceil(messages * 1e9 / rate));
        }

        /** The run ran out of time before it finished: what was measured is still printed. */
        static final class CutShort extends IllegalStateException {
            private static final long serialVersionUID = 1L;

            CutShort(String message) {
                super(message);
            }
        }

        @Option(names = "--progress", paramLabel = "WHEN", defaultValue = "auto",
                converter = WhenConverter.class,
                description = "Progress bar on stderr: auto (when stderr is a terminal), always, never "
                        + "(default: ${DEFAULT-VALUE}).")
        Progress.When progress;

        /** Set by {@link Main}: whether stderr is the process's own and a terminal. */
        boolean errIsTerminal;

        void checkCommon() {
            if (count < 1) {
                throw new IllegalArgumentException("--count must be at least 1: " + count);
            }
            if (size < 0) {
                throw new IllegalArgumentException("--size must be 0 or more: " + size);
            }
            if (warmup < 0) {
                throw new IllegalArgumentException("--warmup must be 0 or more: " + warmup);
            }
        }

        /** The summary's note on the warm-up, if there was one. */
        String warmupNote(String what) {
            return warmup == 0 ? "" : " after " + warmup + " warm-up " + what;
        }

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        static String defaultSubject(String mode) {
            byte[] token = new byte[4];
            ThreadLocalRandom.current().nextBytes(token);
            return "bench." + mode + "." + HexFormat.of().formatHex(token);
        }
    }

    /** Case-insensitive values of {@code --progress}. */
    static final class WhenConverter implements CommandLine.ITypeConverter<Progress.When> {
        @Override
        public Progress.When convert(String value) {
            try {
                return Progress.When.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not one of auto, always, never");
            }
        }
    }

    /** A subscriber and a publisher in this process: messages per second and publish-to-delivery latency. */
    @Command(name = "pubsub", description = {
            "Publish --count messages and receive them on a subscriber of the same subject, two clients in this "
                    + "process. Prints messages/s and MB/s (payload bytes, 1 MB = 10^6 B) from the first "
                    + "publish to the last delivery, and, when --size is 8 or more, the latency from publish "
                    + "to delivery (a timestamp in the payload's first 8 bytes).",
            "Exits 1 if messages are dropped (the subscriber too slow) or not all arrive within --timeout."})
    static final class PubSub extends Mode {
        @Option(names = "--subject", paramLabel = "SUBJECT",
                description = "Subject to publish to (default: bench.pubsub.<random>).")
        String subject;

        @Option(names = "--rate", paramLabel = "MSGS_PER_S", defaultValue = "0",
                description = "Publish at most this many messages a second, evenly spaced; 0 for as fast as "
                        + "possible (default). At full speed the latency includes the time messages queue "
                        + "behind each other; pace below the throughput to see the latency of one message.")
        long rate;

        @Override
        public Integer call() throws Exception {
            checkCommon();
            if (rate < 0) {
                throw new IllegalArgumentException("--rate must be 0 or more: " + rate);
            }
            String s = subject != null ? Commands.checkSubject(subject) : defaultSubject("pubsub");
            if (timeout == null) {
                timeout = defaultTimeout(warmup + count, rate);
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            boolean timestamps = size >= 8;
            Histogram latency = new Histogram(Latency.HIGHEST_NANOS, Latency.DIGITS);
            AtomicLong received = new AtomicLong();
            AtomicLong dropped = new AtomicLong();
            long total = warmup + count;
            CountDownLatch warmedUp = new CountDownLatch(warmup == 0 ? 0 : 1);
            CountDownLatch done = new CountDownLatch(1);
            long[] lastDelivery = new long[1]; // written by the handler before done, read after it
            ClientListener drops = new ClientListener() {
                @Override
                public void onSlowConsumer(Subscription subscription, long n) {
                    lost(n);
                }

                @Override
                public void onGap(Subscription subscription, long n) {
                    lost(n);
                }

                private void lost(long n) {
                    warmedUp.countDown(); // the run has failed: stop waiting for the warm-up too
                    if (received.get() + dropped.addAndGet(n) >= total) {
                        done.countDown();
                    }
                }
            };
            try (Client sub = Client.connect(server.options("conduit-bench-sub").listener(drops).build());
                 Client pub = server.connect("conduit-bench-pub")) {
                Subscription subscription = sub.subscribe(s, m -> {
                    long now = System.nanoTime();
                    long k = received.incrementAndGet();
                    if (k > warmup) {
                        byte[] p = m.payload();
                        if (timestamps && p.length >= 8) {
                            Latency.record(latency, now - ByteBuffer.wrap(p).getLong(0));
                        }
                        lastDelivery[0] = now;
                    } else if (k == warmup) {
                        warmedUp.countDown();
                    }
                    if (k + dropped.get() >= total) {
                        done.countDown();
                    }
                });
                subscription.unsubscribeAfter(total);
                Commands.await(sub.flush(remaining(deadline)));

                byte[] payload = new byte[size];
                if (warmup > 0) {
                    publish(pub, s, payload, warmup, deadline);
                    if (!warmedUp.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        throw new IllegalStateException("only " + received.get() + " of " + warmup
                                + " warm-up messages arrived within " + timeout.toMillis() + " ms");
                    }
                }
                long start = System.nanoTime();
                String cutShort = null;
                try (Progress bar = Progress.start(progress, errIsTerminal, err(),
                        () -> Math.max(0, received.get() - warmup), count, deadline - start)) {
                    publish(pub, s, payload, count, deadline);
                    Commands.await(pub.flush(remaining(deadline)));
                    if (!done.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                        cutShort = "only " + Math.max(0, received.get() - warmup) + " of " + count
                                + " messages arrived within " + DurationConverter.format(timeout) + " (--timeout)";
                    } else if (bar != null) {
                        bar.finish();
                    }
                } catch (CutShort e) {
                    cutShort = e.getMessage();
                } catch (InterruptedException e) {
                    cutShort = "stopped"; // Ctrl-C or SIGTERM: show what was measured
                }
                long n = Math.max(0, received.get() - warmup);
                long last = n == 0 ? System.nanoTime() : lastDelivery[0]; // none if every message was dropped
                double seconds = Math.max(1, last - start) / 1e9;
                PrintWriter out = out();
                out.println(String.format(Locale.ROOT, "pubsub: %d messages of %d B in %.3f s: %.0f msg/s, %.2f MB/s%s%s%s%s",
                        n, size, seconds, n / seconds, n * (double) size / seconds / 1e6,
                        rate == 0 ? "" : " (paced at " + rate + " msg/s)", warmupNote("messages"),
                        dropped.get() == 0 ? "" : ", " + dropped.get() + " dropped",
                        cutShort == null ? "" : " (cut short: " + n + " of " + count + " measured)"));
                out.println(timestamps ? Latency.summary(latency, "publish to delivery")
                        : "latency: not measured (--size below 8 bytes leaves no room for a timestamp)");
                out.flush();
                if ("stopped".equals(cutShort)) {
                    return ExitCode.OK.code;
                }
                if (cutShort != null) {
                    throw new IllegalStateException(cutShort);
                }
                if (dropped.get() > 0) {
                    throw new IllegalStateException(dropped.get() + " messages were dropped: the subscriber fell behind");
                }
                return ExitCode.OK.code;
            }
        }

        /** Publishes n messages, at --rate if set, each stamped with the time when there is room. */
        private void publish(Client pub, String s, byte[] payload, long n, long deadline) {
            boolean timestamps = payload.length >= 8;
            ByteBuffer stamp = ByteBuffer.wrap(payload);
            long start = System.nanoTime();
            for (long i = 0; i < n; i++) {
                if (rate > 0) {
                    long due = start + (long) (i * 1e9 / rate);
                    if (due > deadline) {
                        throw new CutShort("published only " + i + " of " + n + " messages within "
                                + DurationConverter.format(timeout) + " (--timeout) at " + rate + " a second");
                    }
                    for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                        LockSupport.parkNanos(wait);
                    }
                }
                if (timestamps) {
                    stamp.putLong(0, System.nanoTime());
                }
                pub.publish(s, payload); // copies the payload
                if ((i & 1023) == 0 && System.nanoTime() > deadline) {
                    throw new CutShort("published only " + i + " of " + n + " messages within "
                            + DurationConverter.format(timeout) + " (--timeout)");
                }
            }
        }
    }

    /** A responder and a requester in this process: replies per second and request latency. */
    @Command(name = "reqreply", description = {
            "Send --count requests, up to --inflight at a time, to a responder that echoes them, two clients in "
                    + "this process. Prints replies/s and the latency from request to reply.",
            "Exits 4 if the run does not finish within --timeout."})
    static final class ReqReply extends Mode {
        @Option(names = "--subject", paramLabel = "SUBJECT",
                description = "Subject to send requests to (default: bench.reqreply.<random>).")
        String subject;

        @Option(names = "--inflight", paramLabel = "K", defaultValue = "1",
                description = "Requests in flight at a time (default: ${DEFAULT-VALUE}).")
        int inflight;

        @Option(names = "--external",
                description = "Start no responder in this process: send to the responders already answering on "
                        + "--subject (for example a queue group of `conduit reply --queue`). A failed request is "
                        + "counted instead of ending the run; the summary gives timeouts, no-responders and "
                        + "other failures, and the exit code is 1 if any request failed.")
        boolean external;

        @Option(names = "--request-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
                description = "Deadline of each request (default: what is left of --timeout).")
        Duration requestTimeout;

        /** Failed requests of an --external run, by kind. */
        private final AtomicLong timeouts = new AtomicLong();
        private final AtomicLong noResponders = new AtomicLong();
        private final AtomicLong otherFailures = new AtomicLong();

        @Override
        public Integer call() throws Exception {
            checkCommon();
            if (inflight < 1) {
                throw new IllegalArgumentException("--inflight must be at least 1: " + inflight);
            }
            if (external && subject == null) {
                throw new IllegalArgumentException("--external needs --subject: the subject the responders answer on");
            }
            if (requestTimeout != null && (requestTimeout.isNegative() || requestTimeout.isZero())) {
                throw new IllegalArgumentException("--request-timeout must be positive: " + requestTimeout);
            }
            String s = subject != null ? Commands.checkSubject(subject) : defaultSubject("reqreply");
            if (timeout == null) {
                timeout = defaultTimeout(warmup + count, 0);
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            ConcurrentHistogram latency = new ConcurrentHistogram(Latency.HIGHEST_NANOS, Latency.DIGITS);
            AtomicLong replies = new AtomicLong();
            try (Client responder = server.connect("conduit-bench-responder");
                 Client requester = server.connect("conduit-bench-requester")) {
                if (!external) {
                    responder.subscribe(s, m -> {
                        if (m.replyTo() != null) {
                            m.reply(m.payload());
                        }
                    });
                    Commands.await(responder.flush(remaining(deadline)));
                }

                byte[] payload = new byte[size];
                if (warmup > 0) {
                    requests(requester, s, payload, warmup, deadline, null, new AtomicLong());
                }
                long start = System.nanoTime();
                try (Progress bar = Progress.start(progress, errIsTerminal, err(), replies::get, count,
                        deadline - start)) {
                    requests(requester, s, payload, count, deadline, latency, replies);
                    if (bar != null) {
                        bar.finish();
                    }
                }
                long end = System.nanoTime();
                long n = replies.get();
                double seconds = Math.max(1, end - start) / 1e9;
                PrintWriter out = out();
                out.println(String.format(Locale.ROOT, "reqreply: %d requests of %d B, %d in flight, in %.3f s: %.0f replies/s%s",
                        n, size, inflight, seconds, n / seconds, warmupNote("requests")));
                out.println(Latency.summary(latency, "request to reply"));
                long failed = timeouts.get() + noResponders.get() + otherFailures.get();
                if (external) {
                    out.println(String.format(Locale.ROOT, "failed=%d timeouts=%d no_responders=%d other=%d",
                            failed, timeouts.get(), noResponders.get(), otherFailures.get()));
                }
                out.flush();
                return failed == 0 ? ExitCode.OK.code : ExitCode.FAILED.code;
            }
        }

        /**
         * Sends n requests, at most --inflight at a time, and returns once every one has its reply;
         * records their latency unless {@code latency} is null. Rethrows the first failure.
         */
        private void requests(Client requester, String s, byte[] payload, long n, long deadline,
                              ConcurrentHistogram latency, AtomicLong replies) throws InterruptedException {
            Semaphore permits = new Semaphore(inflight);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (long i = 0; i < n && failure.get() == null; i++) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !permits.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                    throw new RequestTimeoutException(s, timeout);
                }
                long sent = System.nanoTime();
                Duration wait = Duration.ofNanos(Math.max(1_000_000, deadline - sent));
                if (requestTimeout != null && requestTimeout.compareTo(wait) < 0) {
                    wait = requestTimeout;
                }
                requester.request(s, payload, wait)
                        .whenComplete((reply, e) -> {
                            if (e == null) {
                                if (latency != null) {
                                    Latency.record(latency, System.nanoTime() - sent);
                                }
                                replies.incrementAndGet();
                            } else {
                                Throwable cause = e instanceof CompletionException c ? c.getCause() : e;
                                if (external) {
                                    count(cause);
                                } else {
                                    failure.compareAndSet(null, cause);
                                }
                            }
                            permits.release();
                        });
            }
            long left = deadline - System.nanoTime();
            if (!permits.tryAcquire(inflight, Math.max(0, left), TimeUnit.NANOSECONDS)) {
                throw new RequestTimeoutException(s, timeout);
            }
            Throwable f = failure.get();
            if (f instanceof ConduitException ce) {
                throw ce;
            } else if (f != null) {
                throw new IllegalStateException(f);
            }
        }

        private void count(Throwable cause) {
            if (cause instanceof RequestTimeoutException) {
                timeouts.incrementAndGet();
            } else if (cause instanceof NoRespondersException) {
                noResponders.incrementAndGet();
            } else {
                otherFailures.incrementAndGet();
            }
        }
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
    }
}
