package dev.conduit.cli;

import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
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

    @Option(names = "--count", paramLabel = "N", description = "Exit after N messages.")
    Long count;

    @Override
    public Integer call() throws Exception {
        Commands.checkPattern(pattern);
        Commands.checkQueueGroup(queue);
        if (count != null && count < 1) {
            throw new IllegalArgumentException("--count must be at least 1: " + count);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ClosedWatcher watcher = new ClosedWatcher();
        ClientOptions options = server.options("conduit-sub")
                .listener(watcher).build();
        try (Client client = Client.connect(options)) {
            long limit = count == null ? Long.MAX_VALUE : count;
            AtomicLong printed = new AtomicLong();
            Subscription s = client.subscribe(pattern, queue, m -> {
                // Handlers of one subscription run one at a time, so these lines never interleave.
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
            err.println("subscribed to " + pattern + (queue == null ? "" : " in queue group " + queue));
            err.flush();
            try {
                watcher.await();
            } catch (InterruptedException e) {
                return ExitCode.OK.code; // asked to stop
            }
            if (printed.get() < limit) {
                throw watcher.reason();
            }
        }
        return ExitCode.OK.code;
    }
}
