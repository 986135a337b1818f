package dev.conduit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code conduit bench}, in-process against an embedded server, with tiny counts. */
class BenchCommandTest {
    private static final String NUMBER = "\\d+(\\.\\d+)?";
    private static final String LATENCY = " p50=" + NUMBER + "us p90=" + NUMBER + "us p99=" + NUMBER
            + "us p99\\.9=" + NUMBER + "us max=" + NUMBER + "us";
    private Server server;
    private String url;

    @BeforeEach
    void start() {
        server = Server.create(ServerConfig.builder().host("127.0.0.1").port(0).build()).start();
        url = "tcp://127.0.0.1:" + server.address().getPort();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void pubsubPrintsThroughputAndThePublishToDeliveryLatency() {
        Run r = run("bench", "pubsub", "--server", url, "--count", "200", "--size", "64", "--subject", "bench.t");
        assertThat(r.code()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).matches("pubsub: 200 messages of 64 B in \\d+\\.\\d{3} s: \\d+ msg/s, \\d+\\.\\d{2} MB/s");
        assertThat(lines.get(1)).matches("latency \\(publish to delivery, 200 samples\\):" + LATENCY);
        assertThat(r.err()).isEmpty(); // no progress bar: stderr is not a terminal
        // The rate is what the count and the time say (the time is printed rounded to the millisecond).
        String[] words = lines.get(0).split(" ");
        double seconds = Double.parseDouble(words[7]);
        double rate = Double.parseDouble(words[9]);
        assertThat(rate).isGreaterThanOrEqualTo(Math.floor(200 / (seconds + 0.0005)));
        if (seconds > 0.0005) {
            assertThat(rate).isLessThanOrEqualTo(Math.ceil(200 / (seconds - 0.0005)));
        }
        assertThat(Double.parseDouble(words[11])).isCloseTo(rate * 64 / 1e6, org.assertj.core.data.Offset.offset(0.006));
    }

    @Test
    void pubsubBelowEightBytesHasNoRoomForATimestamp() {
        Run r = run("bench", "pubsub", "--server", url, "--count", "50", "--size", "4");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines()).hasSize(2).first().asString().startsWith("pubsub: 50 messages of 4 B in ");
        assertThat(r.out().lines().toList().get(1)).startsWith("latency: not measured");
    }

    @Test
    void pubsubRateSpacesThePublishes() {
        // 50 messages at 1,000 a second: the last is published 49 ms after the first, at the earliest.
        Run r = run("bench", "pubsub", "--server", url, "--count", "50", "--size", "16", "--rate", "1000");
        assertThat(r.code()).as(r.err()).isZero();
        String first = r.out().lines().findFirst().orElseThrow();
        assertThat(first).matches("pubsub: 50 messages of 16 B in \\d+\\.\\d{3} s: \\d+ msg/s, \\d+\\.\\d{2} MB/s \\(paced at 1000 msg/s\\)");
        assertThat(Double.parseDouble(first.split(" ")[7])).isGreaterThanOrEqualTo(0.049);
    }

    @Test
    void reqreplyPrintsRepliesPerSecondAndTheRequestLatency() {
        Run r = run("bench", "reqreply", "--server", url, "--count", "100", "--size", "32", "--inflight", "4");
        assertThat(r.code()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).matches("reqreply: 100 requests of 32 B, 4 in flight, in \\d+\\.\\d{3} s: \\d+ replies/s");
        assertThat(lines.get(1)).matches("latency \\(request to reply, 100 samples\\):" + LATENCY);
        assertThat(r.err()).isEmpty();
    }

    @Test
    void reqreplyExternalSendsToTheRespondersThatAreThereAndCountsWhatFails() throws Exception {
        try (dev.conduit.client.Client responder = dev.conduit.client.Client.connect(url)) {
            responder.subscribe("svc.echo", "workers", m -> m.reply(m.payload()));
            responder.flush(java.time.Duration.ofSeconds(10)).get();
            Run answered = run("bench", "reqreply", "--server", url, "--external", "--subject", "svc.echo",
                    "--count", "50", "--inflight", "5");
            assertThat(answered.code()).as(answered.err()).isZero();
            assertThat(answered.out().lines().toList()).satisfiesExactly(
                    l -> assertThat(l).startsWith("reqreply: 50 requests of 128 B, 5 in flight"),
                    l -> assertThat(l).startsWith("latency (request to reply, 50 samples): p50="),
                    l -> assertThat(l).isEqualTo("failed=0 timeouts=0 no_responders=0 other=0"));
        }
        // Nobody answers on svc.nobody: every request fails fast, is counted, and the run exits 1.
        Run unanswered = run("bench", "reqreply", "--server", url, "--external", "--subject", "svc.nobody",
                "--count", "20", "--request-timeout", "30s");
        assertThat(unanswered.code()).as(unanswered.err()).isEqualTo(1);
        assertThat(unanswered.out().lines().toList()).satisfiesExactly(
                l -> assertThat(l).startsWith("reqreply: 0 requests of 128 B, 1 in flight"),
                l -> assertThat(l).isEqualTo("latency (request to reply): no samples"),
                l -> assertThat(l).isEqualTo("failed=20 timeouts=0 no_responders=20 other=0"));
    }

    @Test
    void theWarmUpIsSentFirstAndLeftOutOfTheNumbers() {
        Run pubsub = run("bench", "pubsub", "--server", url, "--count", "100", "--warmup", "50", "--size", "8");
        assertThat(pubsub.code()).as(pubsub.err()).isZero();
        assertThat(pubsub.out().lines().toList()).satisfiesExactly(
                l -> assertThat(l).matches("pubsub: 100 messages of 8 B in .* MB/s after 50 warm-up messages"),
                l -> assertThat(l).startsWith("latency (publish to delivery, 100 samples): p50="));
        Run reqreply = run("bench", "reqreply", "--server", url, "--count", "30", "--warmup", "10", "--inflight", "3");
        assertThat(reqreply.code()).as(reqreply.err()).isZero();
        assertThat(reqreply.out().lines().toList()).satisfiesExactly(
                l -> assertThat(l).matches("reqreply: 30 requests of 128 B, 3 in flight, in .* replies/s after 10 warm-up requests"),
                l -> assertThat(l).startsWith("latency (request to reply, 30 samples): p50="));
    }

    @Test
    void progressAlwaysDrawsABarOnStderrThatEndsFull() {
        Run r = run("bench", "reqreply", "--server", url, "--count", "20", "--progress", "always");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).startsWith("\r[").contains("[" + "#".repeat(30) + "] 100%  20/20").endsWith(System.lineSeparator());
        assertThat(r.out().lines()).hasSize(2);
    }

    @Test
    void badArgumentsExitTwoWithOneLine() {
        for (String[] args : new String[][] {
                {"bench", "pubsub", "--count", "0"},
                {"bench", "pubsub", "--size", "-1"},
                {"bench", "pubsub", "--subject", "a..b"},
                {"bench", "pubsub", "--subject", "a.*"},
                {"bench", "pubsub", "--progress", "sometimes"},
                {"bench", "pubsub", "--count", "ten"},
                {"bench", "pubsub", "--rate", "-1"},
                {"bench", "reqreply", "--warmup", "-1"},
                {"bench", "pubsub", "--timeout", "soon"},
                {"bench", "reqreply", "--inflight", "0"},
                {"bench", "reqreply", "--external"},
                {"bench", "reqreply", "--request-timeout", "0s"},
                {"bench", "reqreply", "--count", "-5"},
                {"bench", "pubsub", "--size", "2000000", "--count", "1"}, // above the server's 1 MiB payload limit
                {"bench", "frobnicate"},
                {"bench"},
        }) {
            String[] withServer = java.util.stream.Stream.concat(java.util.Arrays.stream(args),
                    java.util.stream.Stream.of("--server", url)).toArray(String[]::new);
            if (args.length == 1 || args[1].equals("frobnicate")) {
                withServer = args;
            }
            Run r = run(withServer);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err().lines()).as(String.join(" ", args)).singleElement().asString().startsWith("conduit: ");
            assertThat(r.out()).as(String.join(" ", args)).isEmpty();
        }
        assertThat(run("bench").err()).contains("pubsub").contains("reqreply").contains("conduit bench --help");
    }

    @Test
    void cannotConnectExitsThree() {
        int port = server.address().getPort();
        server.close();
        Run r = run("bench", "pubsub", "--count", "1", "--server", "tcp://127.0.0.1:" + port);
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.err().lines()).singleElement().asString().startsWith("conduit: cannot connect");
    }

    @Test
    void eachModeHasHelp() {
        for (String mode : new String[] {"pubsub", "reqreply"}) {
            Run help = run("bench", mode, "--help");
            assertThat(help.code()).as(mode).isZero();
            assertThat(help.out()).as(mode).startsWith("Usage: conduit bench " + mode).contains("--count").contains("--progress");
        }
        assertThat(run("bench", "reqreply", "--help").out()).contains("--inflight");
        assertThat(run("--help").out()).contains("bench");
    }

    @Test
    void theDefaultTimeoutFollowsAPacedRunsLength() {
        assertThat(BenchCommand.Mode.defaultTimeout(3_000_000, 20_000)).isEqualTo(java.time.Duration.ofSeconds(150 + 60));
        assertThat(BenchCommand.Mode.defaultTimeout(3_000_000, 0)).isEqualTo(java.time.Duration.ofSeconds(60));
    }

    @Test
    void aRunCutShortByItsTimeoutPrintsWhatItMeasured() {
        // 1,000 messages at 100 a second take 10 s: a 1 s timeout stops it after about 100.
        Run r = run("bench", "pubsub", "--server", url, "--count", "1000", "--rate", "100", "--size", "16",
                "--timeout", "1s");
        assertThat(r.code()).isEqualTo(1);
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).matches("pubsub: \\d+ messages of 16 B in .* \\(cut short: \\d+ of 1000 measured\\)");
        assertThat(lines.get(1)).startsWith("latency (publish to delivery");
        assertThat(r.err().lines()).singleElement().asString().contains("published only").contains("1s (--timeout)");
    }
}
