package dev.conduit.cli;

import dev.conduit.client.Client;
import dev.conduit.client.Delivery;
import dev.conduit.client.Subscription;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code conduit sub}: prints the payload of each message on its own line. */
@Command(name = "sub", description = "Subscribe and print each message's payload on its own line.")
final class SubCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOption server;

    @Parameters(index = "0", paramLabel = "PATTERN",
            description = "Subject pattern: '*' matches one token, '>' one or more trailing tokens.")
    String pattern;

    @Option(names = "--queue", paramLabel = "GROUP", description = "Join a queue group: each message goes to one member.")
    String queue;

    @Option(names = "--lossy", description = {
            "A lossy subscription: when this subscriber falls behind, the server skips messages (counted as gap=) "
                    + "instead of slowing the publishers. Without it the subscription is reliable: nothing is "
                    + "skipped, the publishers wait, and a subscriber that takes nothing for the server's maxStall "
                    + "has its subscription ended (exit 6)."})
    boolean lossy;

    @Option(names = "--count", paramLabel = "N", description = "Exit after N messages.")
    Long count;

    @Option(names = "--check-seq", description = {
            "Check the sequence numbers that 'conduit pub --seq' puts at the start of each payload. On exit "
                    + "(after --count messages, on Ctrl-C or SIGTERM, or when the connection closes) print "
                    + "'received=N lost=L duplicated=D out_of_order=O invalid=I gap=G session_lost=S' on stderr, "
                    + "and exit 6 if any but N is not 0 (whatever stopped it).",
            "lost: numbers between 1 and the highest received that never arrived, so start the subscriber "
                    + "before the publisher; duplicated: numbers received again; out_of_order: messages below "
                    + "the highest number received before them; invalid: payloads without a number; gap: messages "
                    + "the server reported skipping because this subscriber fell behind (they may be at the tail, "
                    + "where 'lost' cannot see them); session_lost: times the session could not be resumed (what "
                    + "was sent meanwhile is gone, uncounted). Expects one publisher: a second one's numbers count "
                    + "as duplicates."})
    boolean checkSeq;

    @Override
    public Integer call() throws Exception {
        Commands.checkPattern(pattern);
        Commands.checkQueueGroup(queue);
        if (count != null && count < 1) {
            throw new IllegalArgumentException("--count must be at least 1: " + count);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SeqChecker checker = checkSeq ? new SeqChecker() : null;
        ClientWatcher watcher = server.watcher(err);
        try (Client client = server.connect("conduit-sub", watcher)) {
            long limit = count == null ? Long.MAX_VALUE : count;
            AtomicLong printed = new AtomicLong();
            Subscription s = client.subscribe(pattern, queue, lossy ? Delivery.LOSSY : Delivery.RELIABLE, m -> {
                // Handlers of one subscription run one at a time, so these lines never interleave.
                if (checker != null) {
                    checker.record(m.payload());
                }
                out.println(m.payloadAsString());
                out.flush();
                if (printed.incrementAndGet() == limit) {
                    watcher.finish();
                }
            });
            if (count != null) {
                s.unsubscribeAfter(count);
            }
            Commands.await(client.flush(Duration.ofSeconds(30)));
            Commands.checkNotDenied(s, watcher);
            err.println("subscribed to " + pattern + (queue == null ? "" : " in queue group " + queue));
            err.flush();
            boolean stopped = false;
            try {
                watcher.await();
            } catch (InterruptedException e) {
                stopped = true; // asked to stop (Ctrl-C, SIGTERM): closing says goodbye, the server ends the session
            }
            boolean done = stopped || printed.get() >= limit; // if not, the connection closed first
            int code = checker == null ? ExitCode.OK.code : report(checker, watcher, err);
            if (watcher.subscriptionEnded()) {
                return ExitCode.SEQUENCE_ERRORS.code; // the server ended it for stalling: said on stderr
            }
            if (!done && code == ExitCode.OK.code) {
                throw watcher.reason();
            }
            if (!done) {
                err.println("conduit: " + Errors.describe(watcher.reason()));
                err.flush();
            }
            return code;
        }
    }

    /** Prints the summary line and returns the exit code it calls for. */
    private static int report(SeqChecker checker, ClientWatcher watcher, PrintWriter err) {
        SeqChecker.Summary summary = checker.summary(watcher.gapped() + watcher.droppedByClient(),
                watcher.sessionsLost());
        err.println(summary);
        err.flush();
        return summary.failed() ? ExitCode.SEQUENCE_ERRORS.code : ExitCode.OK.code;
    }
}
