package dev.conduit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands run in-process against an embedded server, with their output captured. */
class CliTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private Server server;
    private String url;

    @BeforeEach
    void start() {
        server = Server.create(ServerConfig.builder().port(0).build()).start();
        url = "tcp://127.0.0.1:" + server.address().getPort();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** A command's exit code and what it printed. */
    record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    /** Runs a long-lived command on its own thread; its stderr can be watched while it runs. */
    private static final class Background {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CompletableFuture<Integer> code = new CompletableFuture<>();
        final Thread thread;

        Background(String... args) {
            thread = Thread.ofVirtual().start(() ->
                    code.complete(Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true))));
        }

        void awaitErr(String text) {
            await().atMost(WAIT).until(() -> err.toString().contains(text));
        }
    }

    @Test
    void subPrintsWhatPubPublishesAndExitsAfterCount() throws Exception {
        Background sub = new Background("sub", "demo.>", "--count", "1", "--server", url);
        sub.awaitErr("subscribed to demo.>");
        Run pub = run("pub", "demo.x", "hi", "--server", url);
        assertThat(pub.code()).isZero();
        assertThat(sub.code.get(30, TimeUnit.SECONDS)).isZero();
        assertThat(sub.out.toString()).isEqualTo("hi" + System.lineSeparator());
    }

    @Test
    void pubCountAndSubCountAgree() throws Exception {
        Background sub = new Background("sub", "n", "--count", "3", "--server", url);
        sub.awaitErr("subscribed to n");
        assertThat(run("pub", "n", "x", "--count", "5", "--server", url).code()).isZero();
        assertThat(sub.code.get(30, TimeUnit.SECONDS)).isZero();
        assertThat(sub.out.toString().lines()).containsExactly("x", "x", "x");
    }

    @Test
    void pubAtARatePublishesEveryMessageInOrder() throws Exception {
        Background sub = new Background("sub", "paced", "--count", "5", "--server", url);
        sub.awaitErr("subscribed to paced");
        assertThat(run("pub", "paced", "--seq", "--count", "5", "--rate", "200", "--server", url).code()).isZero();
        assertThat(sub.code.get(30, TimeUnit.SECONDS)).isZero();
        assertThat(sub.out.toString().lines()).containsExactly("1", "2", "3", "4", "5");
    }

    @Test
    void reqPrintsTheReplyOfAnEchoingReplier() throws Exception {
        Background reply = new Background("reply", "svc.echo", "--echo", "--server", url);
        reply.awaitErr("replying on svc.echo");
        Run req = run("req", "svc.echo", "ping", "--server", url);
        assertThat(req.code()).isZero();
        assertThat(req.out()).isEqualTo("ping" + System.lineSeparator());

        Background fixed = new Background("reply", "svc.fixed", "--data", "pong", "--server", url);
        fixed.awaitErr("replying on svc.fixed");
        assertThat(run("req", "svc.fixed", "ping", "--server", url).out().strip()).isEqualTo("pong");

        reply.thread.interrupt();
        fixed.thread.interrupt();
        assertThat(reply.code.get(30, TimeUnit.SECONDS)).isZero();
        assertThat(fixed.code.get(30, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void reqWithNoResponderExitsFiveWithOneLine() {
        Run req = run("req", "nobody.home", "ping", "--server", url, "--timeout", "1h");
        assertThat(req.code()).isEqualTo(5);
        assertThat(req.err().lines()).singleElement().asString()
                .startsWith("conduit: ").contains("no responders").contains("nobody.home");
        assertThat(req.out()).isEmpty();
    }

    @Test
    void reqThatTimesOutExitsFour() throws Exception {
        Background sub = new Background("sub", "svc.silent", "--server", url);
        sub.awaitErr("subscribed to svc.silent");
        Run req = run("req", "svc.silent", "ping", "--server", url, "--timeout", "200ms");
        assertThat(req.code()).isEqualTo(4);
        assertThat(req.err().lines()).singleElement().asString().contains("within 200 ms");
        sub.thread.interrupt();
    }

    @Test
    void cannotConnectExitsThree() {
        int port = server.address().getPort();
        server.close();
        Run pub = run("pub", "x", "y", "--server", "tcp://127.0.0.1:" + port);
        assertThat(pub.code()).isEqualTo(3);
        assertThat(pub.err().lines()).singleElement().asString()
                .startsWith("conduit: cannot connect to tcp://127.0.0.1:" + port)
                .contains("connection refused (is a server running there?").doesNotContain("finishConnect", "error(-111)");
    }

    @Test
    void serverConfigErrorsExitTwoWithThePlaceAndNoLibraryWording(@TempDir Path dir) throws Exception {
        Path badSyntax = dir.resolve("syntax.yaml");
        java.nio.file.Files.writeString(badSyntax, "port: 7440\nhost: [127.0.0.1\n");
        Run syntax = run("server", "--config", badSyntax.toString());
        assertThat(syntax.code()).isEqualTo(2);
        assertThat(syntax.err().lines()).singleElement().asString()
                .matches("conduit: " + java.util.regex.Pattern.quote(badSyntax.toString()) + ":\\d+:\\d+: .*")
                .contains("expected ',' or ']'").doesNotContain("Source:", "reader", "^");

        Path unknown = dir.resolve("unknown.yaml");
        java.nio.file.Files.writeString(unknown, "colour: blue\n");
        Run unknownKey = run("server", "--config", unknown.toString());
        assertThat(unknownKey.code()).isEqualTo(2);
        assertThat(unknownKey.err().lines()).singleElement().asString().contains("colour");

        Path notANumber = dir.resolve("number.yaml");
        java.nio.file.Files.writeString(notANumber, "port: abc\n");
        Run number = run("server", "--config", notANumber.toString());
        assertThat(number.code()).isEqualTo(2);
        assertThat(number.err().lines()).singleElement().asString().contains("not a whole number: 'abc'")
                .doesNotContain("For input string");

        Run missingTls = run("server", "--port", "0", "--http-port", "-1", "--tls-cert", dir.resolve("nope.pem").toString(),
                "--tls-key", dir.resolve("nope-key.pem").toString());
        assertThat(missingTls.code()).isNotZero();
        assertThat(missingTls.err().lines()).singleElement().asString()
                .contains("nope.pem does not exist or cannot be read").doesNotContain("cannot listen");

        Run inUse = run("server", "--port", String.valueOf(server.address().getPort()), "--http-port", "-1");
        assertThat(inUse.code()).isEqualTo(1);
        assertThat(inUse.err().lines()).singleElement().asString().contains("already in use")
                .doesNotContain("bind(", "error(-98)");
    }

    @Test
    void aWebSocketUrlWithTheWrongPathAndTcpToTheHttpPortGetHints() {
        Server withHttp = Server.create(ServerConfig.builder().port(0).httpPort(0).build()).start();
        try {
            int http = withHttp.httpAddress().getPort();
            Run wrongPath = run("pub", "x", "y", "--server", "ws://127.0.0.1:" + http + "/nope");
            assertThat(wrongPath.code()).isEqualTo(3);
            assertThat(wrongPath.err().lines()).singleElement().asString().contains("HTTP 404")
                    .contains("ws://HOST:PORT/conduit").doesNotContain("getStatus");
            // The HTTP port answers the HELLO with a 400 at once: the failure says so, not the connect
            // timeout's "no WELCOME within 5000 ms", and --retry-connect does not try it again.
            Run tcpToHttp = run("pub", "x", "y", "--server", "tcp://127.0.0.1:" + http, "--retry-connect");
            assertThat(tcpToHttp.code()).isEqualTo(3);
            assertThat(tcpToHttp.err().lines()).singleElement().asString()
                    .contains("answered in HTTP (HTTP/1.1 400 Bad Request)")
                    .contains("ws://127.0.0.1:" + http + "/conduit").doesNotContain("no WELCOME");
        } finally {
            withHttp.close();
        }
    }

    @Test
    void badArgumentsExitTwoWithOneLine() {
        Run badSubject = run("pub", "a..b", "x", "--server", url);
        assertThat(badSubject.code()).isEqualTo(2);
        assertThat(badSubject.err().lines()).singleElement().asString().startsWith("conduit: ").contains("'a..b'");

        Run badPattern = run("sub", "a.>.b", "--server", url);
        assertThat(badPattern.code()).isEqualTo(2);
        assertThat(badPattern.err().lines()).singleElement().asString().contains("'a.>.b'");

        Run neither = run("reply", "svc", "--server", url);
        assertThat(neither.code()).isEqualTo(2);
        assertThat(neither.err().lines()).singleElement().asString()
                .startsWith("conduit: ").contains("--echo").contains("--data").contains("conduit reply --help");
        Run both = run("reply", "svc", "--echo", "--data", "x", "--server", url);
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err().lines()).singleElement().asString().contains("mutually exclusive");

        Run badDuration = run("req", "svc", "x", "--timeout", "soon");
        assertThat(badDuration.code()).isEqualTo(2);
        assertThat(badDuration.err().lines()).singleElement().asString().contains("'soon'");
        Run missing = run("pub", "x", "--server", url);
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err().lines()).singleElement().asString().contains("DATA");
        Run unknown = run("frobnicate");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.err().lines()).singleElement().asString().contains("'frobnicate'");

        Run badScheme = run("pub", "x", "y", "--server", "udp://nowhere:1");
        assertThat(badScheme.code()).isEqualTo(2);
        assertThat(badScheme.err().lines()).singleElement().asString().contains("udp");
        assertThat(run("pub", "x", "y", "--count", "0", "--server", url).code()).isEqualTo(2);
        assertThat(run("pub", "x", "y", "--rate", "-1", "--server", url).code()).isEqualTo(2);
        assertThat(run("pub", "x", "y", "--header", "novalue", "--server", url).code()).isEqualTo(2);
        assertThat(run("sub", "x", "--queue", "a.b", "--server", url).code()).isEqualTo(2);
    }

    @Test
    void badSubjectsAreUsageErrorsEvenWithNoServerToAsk() {
        int port = server.address().getPort();
        server.close();
        String nowhere = "tcp://127.0.0.1:" + port;
        for (String[] args : new String[][] {
                {"pub", "a..b", "x", "--server", nowhere},
                {"req", "a.*", "x", "--server", nowhere},
                {"sub", "a.>.b", "--server", nowhere},
                {"reply", "a b", "--echo", "--server", nowhere},
        }) {
            Run r = run(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err().lines()).as(String.join(" ", args)).singleElement().asString()
                    .startsWith("conduit: ").doesNotContain("cannot connect");
        }
    }

    @Test
    void subStopsCleanlyWhenInterrupted() throws Exception {
        Background sub = new Background("sub", "demo.>", "--server", url);
        sub.awaitErr("subscribed to demo.>");
        sub.thread.interrupt();
        assertThat(sub.code.get(30, TimeUnit.SECONDS)).isZero();
        await().atMost(WAIT).until(() -> server.connectionCount() == 0);
    }

    @Test
    void subExitsOneWithOneLineWhenTheServerGoesAwayForGood() throws Exception {
        Background sub = new Background("sub", "demo.>", "--server", url, "--reconnect-attempts", "0");
        sub.awaitErr("subscribed to demo.>");
        server.close();
        assertThat(sub.code.get(30, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(sub.err.toString().lines()).hasSize(3).last().asString().startsWith("conduit: ")
                .doesNotContain("finishConnect");
    }

    @Test
    void pubSeqIntoSubCheckSeqLosesNothing() throws Exception {
        Background sub = new Background("sub", "seq.test", "--check-seq", "--count", "2000", "--server", url);
        sub.awaitErr("subscribed to seq.test");
        Run pub = run("pub", "seq.test", "--seq", "--count", "2000", "--server", url);
        assertThat(pub.code()).isZero();
        assertThat(sub.code.get(30, TimeUnit.SECONDS)).isZero();
        assertThat(sub.err.toString().lines())
                .containsExactly("subscribed to seq.test", "received=2000 lost=0 duplicated=0 out_of_order=0 invalid=0 gap=0 session_lost=0");
        List<String> lines = sub.out.toString().lines().toList();
        assertThat(lines).hasSize(2000);
        assertThat(lines.get(0)).isEqualTo("1");
        assertThat(lines.get(1999)).isEqualTo("2000");
    }

    @Test
    void pubSeqPutsTheDataAfterTheNumber() throws Exception {
        Background sub = new Background("sub", "seq.data", "--check-seq", "--count", "3", "--server", url);
        sub.awaitErr("subscribed to seq.data");
        assertThat(run("pub", "seq.data", "hello world", "--seq", "--count", "3", "--server", url).code()).isZero();
        assertThat(sub.code.get(30, TimeUnit.SECONDS)).isZero();
        assertThat(sub.out.toString().lines()).containsExactly("1 hello world", "2 hello world", "3 hello world");
        assertThat(sub.err.toString()).contains("received=3 lost=0 duplicated=0 out_of_order=0 invalid=0");
    }

    @Test
    void subCheckSeqStoppedBeforeItsCountPrintsTheSummaryAndExitsZero() throws Exception {
        // Interrupting the command's thread is what SIGINT and SIGTERM do to it in its own process.
        Background sub = new Background("sub", "seq.stop", "--check-seq", "--server", url);
        sub.awaitErr("subscribed to seq.stop");
        assertThat(run("pub", "seq.stop", "--seq", "--count", "50", "--server", url).code()).isZero();
        await().atMost(WAIT).until(() -> sub.out.toString().lines().count() == 50);
        sub.thread.interrupt();
        assertThat(sub.code.get(30, TimeUnit.SECONDS)).isZero();
        assertThat(sub.err.toString().lines()).last().asString()
                .isEqualTo("received=50 lost=0 duplicated=0 out_of_order=0 invalid=0 gap=0 session_lost=0");
    }

    @Test
    void subCheckSeqExitsSixOnAGapADuplicateOrAPayloadWithoutANumber() throws Exception {
        // A plain pub whose data is a number stands in for a publisher that skipped or repeated one.
        Background gap = new Background("sub", "seq.gap", "--check-seq", "--count", "2", "--server", url);
        gap.awaitErr("subscribed to seq.gap");
        assertThat(run("pub", "seq.gap", "1", "--server", url).code()).isZero();
        assertThat(run("pub", "seq.gap", "3", "--server", url).code()).isZero();
        assertThat(gap.code.get(30, TimeUnit.SECONDS)).isEqualTo(6);
        assertThat(gap.err.toString()).contains("received=2 lost=1 duplicated=0 out_of_order=0 invalid=0");

        Background twice = new Background("sub", "seq.twice", "--check-seq", "--count", "4", "--server", url);
        twice.awaitErr("subscribed to seq.twice");
        assertThat(run("pub", "seq.twice", "--seq", "--count", "2", "--server", url).code()).isZero();
        assertThat(run("pub", "seq.twice", "--seq", "--count", "2", "--server", url).code()).isZero();
        assertThat(twice.code.get(30, TimeUnit.SECONDS)).isEqualTo(6);
        assertThat(twice.err.toString()).contains("received=4 lost=0 duplicated=2 out_of_order=0 invalid=0");

        Background junk = new Background("sub", "seq.junk", "--check-seq", "--count", "1", "--server", url);
        junk.awaitErr("subscribed to seq.junk");
        assertThat(run("pub", "seq.junk", "hello", "--server", url).code()).isZero();
        assertThat(junk.code.get(30, TimeUnit.SECONDS)).isEqualTo(6);
        assertThat(junk.err.toString()).contains("received=1 lost=0 duplicated=0 out_of_order=0 invalid=1");
    }

    @Test
    void subCheckSeqPrintsTheSummaryThenExitsOneWhenTheServerGoesAway() throws Exception {
        Background sub = new Background("sub", "seq.gone", "--check-seq", "--server", url, "--reconnect-for", "1s");
        sub.awaitErr("subscribed to seq.gone");
        assertThat(run("pub", "seq.gone", "--seq", "--count", "3", "--server", url).code()).isZero();
        await().atMost(WAIT).until(() -> sub.out.toString().lines().count() == 3);
        server.close();
        assertThat(sub.code.get(30, TimeUnit.SECONDS)).isEqualTo(1);
        List<String> err = sub.err.toString().lines().toList();
        assertThat(err).containsExactly("subscribed to seq.gone", "conduit: connection lost; reconnecting for up to 1s",
                "received=3 lost=0 duplicated=0 out_of_order=0 invalid=0 gap=0 session_lost=0",
                "conduit: gave up reconnecting after 1s (--reconnect-for)");
    }

    @Test
    void pubNeedsDataUnlessItNumbersTheMessages() {
        Run missing = run("pub", "x", "--count", "2", "--server", url);
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err().lines()).singleElement().asString().contains("DATA").contains("conduit pub --help");
        assertThat(run("pub", "x", "--seq", "--server", url).code()).isZero();
    }

    @Test
    void theHelpDocumentsThePayloadFormatAndTheCheck() {
        assertThat(run("pub", "--help").out()).contains("--seq").contains("one space");
        assertThat(run("sub", "--help").out()).contains("--check-seq").contains("out_of_order");
        assertThat(run("--help").out()).contains("6  sub --check-seq");
    }

    @Test
    void serverFlagsWithBadValuesAreUsageErrorsNamingTheFlag() {
        Run blankHost = run("server", "--host", " ", "--port", "0");
        assertThat(blankHost.code()).isEqualTo(2);
        assertThat(blankHost.err().lines()).singleElement().asString().startsWith("conduit: --host: invalid host");
        Run badPort = run("server", "--port", "70000");
        assertThat(badPort.code()).isEqualTo(2);
        assertThat(badPort.err().lines()).singleElement().asString().startsWith("conduit: --port: invalid port '70000'");
        // The ZeroMQ gateway's settings are checked by its module (conduit-zeromq, on the CLI's class path).
        Run badZmqPort = run("server", "--port", "0", "--zmq-port", "65534");
        assertThat(badZmqPort.code()).isEqualTo(2);
        assertThat(badZmqPort.err().lines()).singleElement().asString()
                .startsWith("conduit: --zmq-port: invalid zeromqPort '65534'").contains("binds 5 ports");
    }

    @Test
    void serverTlsFlagsNameWhatIsMissingOrUnreadable(@TempDir Path dir) {
        Run certOnly = run("server", "--port", "0", "--http-port", "-1", "--tls-cert", "server.pem");
        assertThat(certOnly.code()).isNotZero();
        assertThat(certOnly.err()).contains("certificate chain and a private key");
        Path missing = dir.resolve("missing.pem");
        Run unreadable = run("server", "--port", "0", "--http-port", "-1", "--tls-cert", missing.toString(),
                "--tls-key", missing.toString());
        assertThat(unreadable.code()).isNotZero();
        assertThat(unreadable.err()).contains(missing.toString()).contains("cannot be read");
    }

    @Test
    void everyCommandHasTheHelpOptionItsErrorsPointTo() {
        for (String command : new String[] {"server", "pub", "sub", "req", "reply", "bench", "certs"}) {
            Run help = run(command, "--help");
            assertThat(help.code()).as(command).isZero();
            assertThat(help.out()).as(command).startsWith("Usage: conduit " + command);
            assertThat(help.err()).as(command).isEmpty();
        }
    }

    @Test
    void helpListsTheExitCodes() {
        Run help = run("--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("Exit codes:").contains("5  nothing subscribes");
    }
}
