package dev.conduit.cli;

import dev.conduit.client.Client;
import dev.conduit.protocol.Headers;
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

/** {@code conduit pub}: publishes a message, and returns once the server has it. */
@Command(name = "pub", description = "Publish a message.")
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

    @Option(names = "--header", paramLabel = "NAME=VALUE", description = "A header; repeat for more.")
    List<String> headers = List.of();

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class,
            description = "How long to wait for the server to confirm (default 5s).")
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
        try (Client client = server.connect("conduit-pub")) {
            for (long i = 1; i <= count; i++) {
                client.publish(subject, built, seq ? SeqPayload.format(i, payload) : payload);
            }
            Commands.await(client.flush(timeout));
        }
        return ExitCode.OK.code;
    }
}
