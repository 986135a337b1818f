package dev.conduit.cli;

import dev.conduit.client.Client;
import dev.conduit.protocol.Headers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code conduit pub}: publishes a message, and returns once the server has it. */
@Command(name = "pub", description = "Publish a message.")
final class PubCommand implements Callable<Integer> {
    @Mixin
    ServerOption server;

    @Parameters(index = "0", paramLabel = "SUBJECT", description = "Subject to publish to, e.g. orders.eu.created.")
    String subject;

    @Parameters(index = "1", paramLabel = "DATA", description = "Payload, sent as UTF-8.")
    String data;

    @Option(names = "--count", paramLabel = "N", defaultValue = "1", description = "How many times to publish it (default 1).")
    long count;

    @Option(names = "--header", paramLabel = "NAME=VALUE", description = "A header; repeat for more.")
    List<String> headers = List.of();

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class,
            description = "How long to wait for the server to confirm (default 5s).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        Commands.checkSubject(subject);
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
        byte[] payload = data.getBytes(StandardCharsets.UTF_8);
        try (Client client = server.connect("conduit-pub")) {
            for (long i = 0; i < count; i++) {
                client.publish(subject, built, payload);
            }
            Commands.await(client.flush(timeout));
        }
        return ExitCode.OK.code;
    }
}
