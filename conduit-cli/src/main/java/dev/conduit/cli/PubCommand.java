package dev.conduit.cli;

import dev.conduit.client.BufferFullException;
import dev.conduit.client.BufferFullPolicy;
import dev.conduit.client.Client;
import dev.conduit.client.ConnectionClosedException;
import dev.conduit.protocol.Headers;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code conduit pub}: publishes a message (or {@code --count} of them), and returns once the server
 * has confirmed each, or reports exactly how many it did not (exit 7): publishes held when the
 * session was lost (a server restarted, or a partition outlasted its resume window), or failed when
 * the client gave up reconnecting.
 */
@Command(name = "pub", description = "Publish a message; exit 7 naming how many the server did not confirm, if any.")
final class PubCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOption server;

    @Parameters(index = "0", paramLabel = "SUBJECT", description = "Subject to publish to, e.g. orders.eu.created.")
    String subject;

    @Parameters(index = "1", paramLabel = "DATA", arity = "0..1",
            description = "Payload, sent as UTF-8. Required, except with --seq.")
    String data;

    @Option(names = "--count", paramLabel = "N", defaultValue = "1", description = "How many times to publish it (default 1).")
    long count;

    @Option(names = "--seq", description = {
            "Number the messages 1 to N (N from --count), for 'conduit sub --check-seq'. Each payload is then "
                    + "the number in decimal, followed, if DATA is given, by one space and DATA: "
                    + "'1 hello', '2 hello', ... or, without DATA, '1', '2', ..."})
    boolean seq;

    @Option(names = "--rate", paramLabel = "MSGS_PER_S", defaultValue = "0", description = {
            "Publish at most this many messages a second, evenly spaced; 0 for as fast as possible (default). "
                    + "A stream that lasts, e.g. across a fault (bench/redis-outage.sh)."})
    long rate;

    @Option(names = "--header", paramLabel = "NAME=VALUE", description = "A header; repeat for more.")
    List<String> headers = List.of();

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "How long to wait, after the last publish, for the server to confirm them all "
                    + "(default: as --reconnect-for). What is still unconfirmed then counts as unconfirmed.")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        Commands.checkSubject(subject);
        if (data == null && !seq) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing required parameter: 'DATA'");
        }
        if (count < 1) {
            throw new IllegalArgumentException("--count must be at least 1: " + count);
        }
        if (rate < 0) {
            throw new IllegalArgumentException("--rate must be 0 (as fast as possible) or more: " + rate);
        }
        Headers.Builder h = Headers.builder();
        for (String header : headers) {
            int eq = header.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("--header must be NAME=VALUE: '" + header + "'");
            }
            h.add(header.substring(0, eq), header.substring(eq + 1));
        }
        Headers built = h.build();
        byte[] payload = data == null ? new byte[0] : data.getBytes(StandardCharsets.UTF_8);
        PrintWriter err = spec.commandLine().getErr();
        ClientWatcher watcher = server.watcher(err);
        Outcomes outcomes = new Outcomes();
        boolean stopped = false;
        // While the connection is down, publishes wait in the client's buffer; when it is full,
        // publish waits for room as long as the client keeps reconnecting.
        try (Client client = server.connect(server.options("conduit-pub")
                .bufferFull(BufferFullPolicy.WAIT, server.reconnectFor), watcher)) {
            long start = System.nanoTime();
            for (long i = 1; i <= count; i++) {
                if (rate > 0) {
                    // Message i leaves (i - 1) / rate seconds after the first, however long publishing took.
                    long due = start + (long) ((i - 1) * (1e9 / rate));
                    for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                        if (Thread.currentThread().isInterrupted()) {
                            break;
                        }
                    }
                }
                if (Thread.interrupted()) {
                    stopped = true; // SIGINT or SIGTERM: stop publishing, close cleanly, report
                    break;
                }
                outcomes.oneSent();
                client.publishConfirmed(subject, built, seq ? SeqPayload.format(i, payload) : payload, null)
                        .whenComplete((ok, failure) -> outcomes.settled(failure));
                if (outcomes.stopPublishing()) {
                    break; // the buffer stayed full, or the client closed: the rest would fail alike
                }
            }
            if (!stopped) {
                try {
                    outcomes.awaitAll(timeout != null ? timeout : server.reconnectFor);
                } catch (InterruptedException e) {
                    stopped = true;
                }
            }
        } // close: drains, then fails whatever the server has still not confirmed
        try {
            outcomes.awaitAll(Duration.ofSeconds(30)); // close() settled every one
            watcher.awaitClosed(); // every report before CLOSED (a denial) has been heard
        } catch (InterruptedException e) {
            stopped = true;
        }
        if (outcomes.failed() > 0) {
            err.println("conduit: " + outcomes.failed() + " of " + count + " publishes were not confirmed by the "
                    + "server" + (outcomes.sent() < count ? " (" + (count - outcomes.sent()) + " never sent)" : "")
                    + ": " + Errors.describe(outcomes.firstFailure()) + "; each may or may not have been delivered");
            err.flush();
            return ExitCode.UNCONFIRMED.code;
        }
        if (watcher.denial() != null) {
            throw new Commands.DeniedException(watcher.denial().getMessage());
        }
        return ExitCode.OK.code;
    }

    /** What became of each publish: confirmed, or failed with a reason. Thread-safe. */
    private static final class Outcomes {
        private long sent;
        private long confirmed;
        private long failed;
        private Throwable firstFailure;

        synchronized void oneSent() {
            sent++;
        }

        synchronized long sent() {
            return sent;
        }

        synchronized void settled(Throwable failure) {
            if (failure == null) {
                confirmed++;
            } else {
                failed++;
                if (firstFailure == null) {
                    firstFailure = failure instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                            ? c.getCause() : failure;
                }
            }
            notifyAll();
        }

        synchronized boolean stopPublishing() {
            return firstFailure instanceof BufferFullException || firstFailure instanceof ConnectionClosedException;
        }

        synchronized long failed() {
            return failed;
        }

        synchronized Throwable firstFailure() {
            return firstFailure;
        }

        /** Waits until every publish sent is confirmed or failed, or the time is up. */
        synchronized void awaitAll(Duration limit) throws InterruptedException {
            long deadline = System.nanoTime() + limit.toNanos();
            while (confirmed + failed < sent) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
    }
}
