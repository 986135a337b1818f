package dev.conduit.cli;

import dev.conduit.client.Client;
import dev.conduit.client.ClientListener;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.ConnectionClosedException;
import dev.conduit.client.ConnectionState;
import dev.conduit.client.Subscription;
import dev.conduit.protocol.ConduitException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
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
        if (count != null && count < 1) {
            throw new IllegalArgumentException("--count must be at least 1: " + count);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<ConduitException> lost = new AtomicReference<>();
        ClientListener listener = new ClientListener() {
            @Override
            public void onError(ConduitException error) {
                lost.compareAndSet(null, error);
            }

            @Override
            public void onStateChange(ConnectionState from, ConnectionState to) {
                if (to == ConnectionState.CLOSED) {
                    done.countDown();
                }
            }
        };
        ClientOptions options = ClientOptions.builder().endpoints(server.url).clientName("conduit-sub")
                .listener(listener).build();
        try (Client client = Client.connect(options)) {
            long limit = count == null ? Long.MAX_VALUE : count;
            long[] printed = {0};
            Subscription s = client.subscribe(pattern, queue, m -> {
                // Handlers of one subscription run one at a time, so these lines never interleave.
                out.println(m.payloadAsString());
                out.flush();
                if (++printed[0] == limit) {
                    done.countDown();
                }
            });
            if (count != null) {
                s.unsubscribeAfter(count);
            }
            Commands.await(client.flush(Duration.ofSeconds(30)));
            err.println("subscribed to " + pattern + (queue == null ? "" : " in queue group " + queue));
            err.flush();
            done.await();
            if (printed[0] < limit) {
                ConduitException cause = lost.get();
                throw cause != null ? cause : new ConnectionClosedException("connection closed");
            }
        }
        return ExitCode.OK.code;
    }
}
