package dev.conduit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.server.Server;
import dev.conduit.server.ServerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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
                .startsWith("conduit: cannot connect to tcp://127.0.0.1:" + port);
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
    void subExitsOneWithOneLineWhenTheServerGoesAway() throws Exception {
        Background sub = new Background("sub", "demo.>", "--server", url);
        sub.awaitErr("subscribed to demo.>");
        server.close();
        assertThat(sub.code.get(30, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(sub.err.toString().lines()).hasSize(2).last().asString().startsWith("conduit: ");
    }

    @Test
    void serverFlagsWithBadValuesAreUsageErrorsNamingTheFlag() {
        Run blankHost = run("server", "--host", " ", "--port", "0");
        assertThat(blankHost.code()).isEqualTo(2);
        assertThat(blankHost.err().lines()).singleElement().asString().startsWith("conduit: --host: invalid host");
        Run badPort = run("server", "--port", "70000");
        assertThat(badPort.code()).isEqualTo(2);
        assertThat(badPort.err().lines()).singleElement().asString().startsWith("conduit: --port: invalid port '70000'");
    }

    @Test
    void everyCommandHasTheHelpOptionItsErrorsPointTo() {
        for (String command : new String[] {"server", "pub", "sub", "req", "reply"}) {
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
