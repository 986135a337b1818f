package dev.conduit.cli;

import dev.conduit.client.Client;
import dev.conduit.client.Message;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code conduit req}: sends a request and prints the reply's payload. */
@Command(name = "req", description = "Send a request and print the reply's payload.")
final class ReqCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOption server;

    @Parameters(index = "0", paramLabel = "SUBJECT", description = "Subject to send the request to.")
    String subject;

    @Parameters(index = "1", paramLabel = "DATA", description = "Request payload, sent as UTF-8.")
    String data;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2s", converter = DurationConverter.class,
            description = "How long to wait for the reply (default 2s).")
    Duration timeout;

    @Override
    public Integer call() {
        Commands.checkSubject(subject);
        try (Client client = server.connect("conduit-req")) {
            Message reply = client.requestAndWait(subject, data.getBytes(StandardCharsets.UTF_8), timeout);
            spec.commandLine().getOut().println(reply.payloadAsString());
            spec.commandLine().getOut().flush();
        }
        return ExitCode.OK.code;
    }
}
