package dev.conduit.cli;

import dev.conduit.client.Client;
import dev.conduit.client.Subscription;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code conduit reply}: answers requests until stopped. */
@Command(name = "reply", description = "Answer requests on a subject until stopped.")
final class ReplyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOption server;

    @Parameters(index = "0", paramLabel = "SUBJECT", description = "Subject (or pattern) to answer on.")
    String subject;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Answer answer;

    @Option(names = "--queue", paramLabel = "GROUP", description = "Share the requests with other repliers in a queue group.")
    String queue;

    /** Exactly one way to answer. */
    static final class Answer {
        @Option(names = "--echo", required = true, description = "Reply with the request's own payload.")
        boolean echo;

        @Option(names = "--data", required = true, paramLabel = "TEXT", description = "Reply with this text.")
        String data;
    }

    @Override
    public Integer call() throws Exception {
        Commands.checkPattern(subject);
        Commands.checkQueueGroup(queue);
        PrintWriter err = spec.commandLine().getErr();
        byte[] fixed = answer.data == null ? null : answer.data.getBytes(StandardCharsets.UTF_8);
        ClientWatcher watcher = server.watcher(err);
        try (Client client = server.connect("conduit-reply", watcher)) {
            Subscription s = client.subscribe(subject, queue, m -> {
                if (m.replyTo() != null) {
                    m.reply(fixed != null ? fixed : m.payload());
                }
            });
            Commands.await(client.flush(Duration.ofSeconds(30)));
            Commands.checkNotDenied(s, watcher);
            err.println("replying on " + subject);
            err.flush();
            try {
                watcher.await();
            } catch (InterruptedException e) {
                return ExitCode.OK.code; // asked to stop: closing says goodbye, and the server ends the session
            }
            throw watcher.reason();
        }
    }
}
