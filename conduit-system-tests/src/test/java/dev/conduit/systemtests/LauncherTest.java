package dev.conduit.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's walk-through, run for real: {@code ./conduit} processes started the way a user
 * starts them, talking over TCP on 127.0.0.1. The build has made conduit.jar before this runs, so
 * the launcher finds it fresh and does not rebuild.
 */
class LauncherTest {
    private static final long WAIT_SECONDS = 60;
    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killAll() {
        processes.forEach(Process::destroyForcibly);
    }

    /** A process whose output lines are collected as they come. */
    private final class Run {
        final Process process;
        final List<String> out = new CopyOnWriteArrayList<>();
        final List<String> err = new CopyOnWriteArrayList<>();

        Run(String... args) throws IOException {
            this(java.util.Map.of(), false, args);
        }

        /** With extra environment variables; {@code discardOut} for a subscriber that prints millions of lines. */
        Run(java.util.Map<String, String> env, boolean discardOut, String... args) throws IOException {
            List<String> command = new ArrayList<>();
            command.add(ROOT.resolve("conduit").toString());
            command.addAll(List.of(args));
            ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile());
            builder.environment().keySet().removeIf(k -> k.startsWith("CONDUIT_"));
            builder.environment().putAll(env);
            if (discardOut) {
                builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            }
            process = builder.start();
            processes.add(process);
            if (!discardOut) {
                collect(process.getInputStream(), out);
            }
            collect(process.getErrorStream(), err);
        }

        private void collect(InputStream stream, List<String> lines) {
            Thread.ofVirtual().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                    for (String line = r.readLine(); line != null; line = r.readLine()) {
                        synchronized (lines) {
                            lines.add(line);
                            lines.notifyAll();
                        }
                    }
                } catch (IOException e) {
                    // the process ended
                } finally {
                    synchronized (lines) {
                        ended.add(lines);
                        lines.notifyAll();
                    }
                }
            });
        }

        private final List<List<String>> ended = new CopyOnWriteArrayList<>();

        /** Waits until a line containing the text appears; fails if the stream ends without it. */
        void awaitLine(List<String> lines, String text) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            synchronized (lines) {
                while (lines.stream().noneMatch(l -> l.contains(text))) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0 || ended.contains(lines)) {
                        throw new AssertionError("no line with '" + text + "'; stdout " + out + ", stderr " + err);
                    }
                    lines.wait(left);
                }
            }
        }

        int exitCode() throws InterruptedException {
            assertThat(process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).as("exited; stderr " + err).isTrue();
            return process.exitValue();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void theReadmeWalkThroughWorks() throws Exception {
        assertThat(Files.isExecutable(ROOT.resolve("conduit"))).isTrue();
        String url = "tcp://127.0.0.1:" + freePort();
        String port = url.substring(url.lastIndexOf(':') + 1);

        Run server = new Run("server", "--port", port);
        server.awaitLine(server.out, "listening on " + url);

        Run sub = new Run("sub", "demo.>", "--count", "1", "--server", url);
        sub.awaitLine(sub.err, "subscribed to demo.>");
        Run pub = new Run("pub", "demo.x", "hi", "--server", url);
        assertThat(pub.exitCode()).isZero();
        assertThat(sub.exitCode()).isZero();
        sub.awaitLine(sub.out, "hi");
        assertThat(sub.out).containsExactly("hi");

        Run reply = new Run("reply", "svc.echo", "--echo", "--server", url);
        reply.awaitLine(reply.err, "replying on svc.echo");
        Run req = new Run("req", "svc.echo", "ping", "--server", url);
        assertThat(req.exitCode()).isZero();
        req.awaitLine(req.out, "ping");
        assertThat(req.out).containsExactly("ping");

        Run nobody = new Run("req", "nobody.home", "ping", "--server", url);
        assertThat(nobody.exitCode()).isEqualTo(5);

        reply.process.destroy();
        // SIGTERM through kill(1): Process.destroy would also close our ends of its pipes, and we
        // want to read what the server says while its shutdown hook stops it gracefully.
        Process kill = new ProcessBuilder("kill", "-TERM", Long.toString(server.process.pid())).start();
        assertThat(kill.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(server.process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        server.awaitLine(server.err, "stopped");
        assertThat(server.err).noneMatch(l -> l.contains("rebuilding") || l.contains("building the command line jar"));
    }

    private static void signal(String signal, Process process) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
        assertThat(kill.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    @Test
    void subCheckSeqStoppedBySigintOrSigtermPrintsItsSummaryAndExitsByIt() throws Exception {
        String url = "tcp://127.0.0.1:" + freePort();
        Run server = new Run("server", "--port", url.substring(url.lastIndexOf(':') + 1));
        server.awaitLine(server.out, "listening on " + url);

        Run clean = new Run("sub", "seq.clean", "--check-seq", "--server", url);
        Run gap = new Run("sub", "seq.gap", "--check-seq", "--server", url);
        clean.awaitLine(clean.err, "subscribed to seq.clean");
        gap.awaitLine(gap.err, "subscribed to seq.gap");

        assertThat(new Run("pub", "seq.clean", "--seq", "--count", "100", "--server", url).exitCode()).isZero();
        clean.awaitLine(clean.out, "100");
        signal("INT", clean.process);
        assertThat(clean.exitCode()).as("Ctrl-C with nothing lost: as for a plain sub").isEqualTo(130);
        clean.awaitLine(clean.err, "received=100 lost=0 duplicated=0 out_of_order=0 invalid=0 gap=0 session_lost=0");

        // A plain pub whose data is a number stands in for a publisher that skipped one.
        assertThat(new Run("pub", "seq.gap", "1", "--server", url).exitCode()).isZero();
        assertThat(new Run("pub", "seq.gap", "3", "--server", url).exitCode()).isZero();
        gap.awaitLine(gap.out, "3");
        signal("TERM", gap.process);
        assertThat(gap.exitCode()).as("SIGTERM after a gap").isEqualTo(6);
        gap.awaitLine(gap.err, "received=2 lost=1 duplicated=0 out_of_order=0 invalid=0 gap=0 session_lost=0");

        signal("TERM", server.process);
        assertThat(server.exitCode()).isNotNegative();
    }

    @Test
    void pubSubAndRequestReplyOverAUnixSocket(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("conduit.sock");
        String url = "unix://" + socket;
        Run server = new Run("server", "--port", Integer.toString(freePort()), "--http-port", "-1",
                "--unix-socket", socket.toString());
        server.awaitLine(server.out, "listening on " + url);

        Run sub = new Run("sub", "local.>", "--count", "2", "--server", url);
        sub.awaitLine(sub.err, "subscribed to local.>");
        Run reply = new Run("reply", "svc.echo", "--echo", "--server", url);
        reply.awaitLine(reply.err, "replying on svc.echo");
        assertThat(new Run("pub", "local.a", "one", "--server", url).exitCode()).isZero();
        assertThat(new Run("pub", "local.b", "two", "--server", url).exitCode()).isZero();
        assertThat(sub.exitCode()).isZero();
        assertThat(sub.out).containsExactly("one", "two");
        Run req = new Run("req", "svc.echo", "ping", "--server", url);
        assertThat(req.exitCode()).isZero();
        assertThat(req.out).containsExactly("ping");

        reply.process.destroy();
        signal("TERM", server.process);
        assertThat(server.exitCode()).isNotNegative();
        assertThat(socket).as("removed when the server stops").doesNotExist();
    }

    @Test
    void aZeroMqRequesterReachesAConduitReplierThroughServerZmqPort() throws Exception {
        Run server = new Run("server", "--port", Integer.toString(freePort()), "--http-port", "-1", "--zmq-port", "0");
        server.awaitLine(server.out, "zeromq gateway on ports");
        String line = server.out.stream().filter(l -> l.contains("zeromq gateway on ports")).findFirst().orElseThrow();
        java.util.regex.Matcher req = java.util.regex.Pattern.compile("req (\\d+)").matcher(line);
        assertThat(req.find()).as(line).isTrue();
        String url = server.out.stream().filter(l -> l.contains("listening on tcp://")).findFirst().orElseThrow()
                .replaceAll(".*listening on ", "");
        Run reply = new Run("reply", "svc.echo", "--echo", "--server", url);
        reply.awaitLine(reply.err, "replying on svc.echo");
        try (org.zeromq.ZContext context = new org.zeromq.ZContext(1)) {
            org.zeromq.ZMQ.Socket socket = context.createSocket(org.zeromq.SocketType.REQ);
            socket.setLinger(0);
            socket.setReceiveTimeOut((int) TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            // JeroMQ's connect race (zeromq/jeromq PR 1022, see conduit-zeromq's JeroMqPeers) costs 2 s, not 30.
            socket.setHandshakeIvl(2_000);
            socket.connect("tcp://127.0.0.1:" + req.group(1));
            socket.sendMore("svc.echo");
            socket.send("through the gateway");
            assertThat(List.of(socket.recvStr(), socket.recvStr())).containsExactly("OK", "through the gateway");
        }
        reply.process.destroy();
        signal("TERM", server.process);
        assertThat(server.exitCode()).isNotNegative();
    }

    @Test
    void theTlsAndJwtExampleServesClientsWithTheMatchingFlags(@TempDir Path dir) throws Exception {
        Path certs = dir.resolve("certs");
        assertThat(new Run("certs", "--out", certs.toString(), "--client", "alice").exitCode()).isZero();
        // The example as it is, next to the certificates it names relative to itself.
        Path config = dir.resolve("tls-jwt.yaml");
        Files.copy(ROOT.resolve("examples/tls-jwt.yaml"), config);
        String port = Integer.toString(freePort());
        String url = "tls://127.0.0.1:" + port;
        Run server = new Run("server", "--config", config.toString(), "--port", port, "--http-port", "0");
        server.awaitLine(server.out, "listening on " + url);

        Matcher secret = Pattern.compile("secret: \"([^\"]+)\"").matcher(Files.readString(config));
        assertThat(secret.find()).isTrue();
        SignedJWT signed = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject("bob")
                .expirationTime(Date.from(Instant.now().plusSeconds(3600))).build());
        signed.sign(new MACSigner(secret.group(1).getBytes(StandardCharsets.UTF_8)));
        String jwt = signed.serialize();
        String ca = certs.resolve("ca.pem").toString();
        String[] certificate = {"--cert", certs.resolve("client.pem").toString(), "--key", certs.resolve("client-key.pem").toString()};

        Run sub = new Run("sub", "demo.>", "--count", "1", "--server", url, "--tls-ca", ca, "--token", jwt);
        sub.awaitLine(sub.err, "subscribed to demo.>");
        Run pub = new Run(concat(new String[] {"pub", "demo.x", "hi", "--server", url, "--tls-ca", ca}, certificate));
        assertThat(pub.exitCode()).as("pub with a client certificate; stderr %s", pub.err).isZero();
        assertThat(sub.exitCode()).isZero();
        sub.awaitLine(sub.out, "hi");
        assertThat(sub.out).containsExactly("hi");

        Run reply = new Run(concat(new String[] {"reply", "svc.echo", "--echo", "--server", url, "--tls-ca", ca}, certificate));
        reply.awaitLine(reply.err, "replying on svc.echo");
        Run req = new Run("req", "svc.echo", "ping", "--server", url, "--tls-ca", ca, "--token", jwt);
        assertThat(req.exitCode()).as("req with a JWT; stderr %s", req.err).isZero();
        assertThat(req.out).containsExactly("ping");

        // Refused: no credentials at all, an authority the client does not trust, plaintext.
        Run anonymous = new Run("pub", "demo.x", "hi", "--server", url, "--tls-ca", ca, "--reconnect-attempts", "0");
        assertThat(anonymous.exitCode()).isEqualTo(3);
        anonymous.awaitLine(anonymous.err, "401");
        Run untrusted = new Run("pub", "demo.x", "hi", "--server", url, "--token", jwt, "--reconnect-attempts", "0");
        assertThat(untrusted.exitCode()).isEqualTo(3);
        untrusted.awaitLine(untrusted.err, "TLS handshake failed");
        Run plaintext = new Run("pub", "demo.x", "hi", "--server", "tcp://127.0.0.1:" + port, "--token", jwt,
                "--reconnect-attempts", "0");
        assertThat(plaintext.exitCode()).isEqualTo(3);
        reply.process.destroy();
    }

    /** A server on a free port, without the HTTP port, its log at debug for the named class if any. */
    private Run server(int port, java.util.Map<String, String> env, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("server", "--port", Integer.toString(port), "--http-port", "-1"));
        args.addAll(List.of(more));
        Run server = new Run(env, false, args.toArray(String[]::new));
        server.awaitLine(server.out, "listening on tcp://127.0.0.1:" + port);
        return server;
    }

    @Test
    void aKilledServerMakesPubExitSevenNamingTheUnconfirmedAndSubCheckSeqExitSix() throws Exception {
        int port = freePort();
        String url = "tcp://127.0.0.1:" + port;
        Run first = server(port, java.util.Map.of());
        // CONDUIT_SERVER stands for --server from here on.
        java.util.Map<String, String> env = java.util.Map.of("CONDUIT_SERVER", url);
        // --retry-connect: a connection attempt that a busy machine's fresh server answers late is retried.
        Run check = new Run(env, true, "sub", "seq.kill", "--check-seq", "--retry-connect");
        Run started = new Run(env, false, "sub", "seq.kill", "--count", "1", "--retry-connect");
        check.awaitLine(check.err, "subscribed to seq.kill");
        started.awaitLine(started.err, "subscribed to seq.kill");
        Run pub = new Run(env, false, "pub", "seq.kill", "--seq", "--count", "1000000", "--retry-connect");
        assertThat(started.exitCode()).as("a message arrived: pub is publishing").isZero();

        first.process.destroyForcibly(); // SIGKILL: nothing said to anyone
        assertThat(first.process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        Run second = server(port, java.util.Map.of());

        assertThat(pub.exitCode()).as("pub after its session was lost; stderr %s", pub.err).isEqualTo(7);
        pub.awaitLine(pub.err, " of 1000000 publishes were not confirmed by the server");
        Matcher unconfirmed = Pattern.compile("conduit: (\\d+) of 1000000 publishes were not confirmed")
                .matcher(String.join("\n", pub.err));
        assertThat(unconfirmed.find()).isTrue();
        assertThat(Long.parseLong(unconfirmed.group(1))).isPositive();

        check.awaitLine(check.err, "the session was lost");
        signal("INT", check.process);
        assertThat(check.exitCode()).as("a lost session is a loss, even stopped by Ctrl-C").isEqualTo(6);
        check.awaitLine(check.err, "session_lost=1");
        signal("TERM", second.process);
        assertThat(second.exitCode()).isNotNegative();
    }

    @Test
    void aTailTheServerSkippedWithGapMakesSubCheckSeqExitSix() throws Exception {
        int port = freePort();
        String url = "tcp://127.0.0.1:" + port;
        // The smallest bound the server allows (64 KiB): held for a subscriber that acknowledges nothing.
        Run server = server(port, java.util.Map.of("CONDUIT_MAX_PAYLOAD_BYTES", "1024", "CONDUIT_MAX_HEADER_BYTES", "1024",
                "CONDUIT_MAX_SUBJECT_BYTES", "256", "CONDUIT_MAX_PENDING_BYTES_PER_CONNECTION", "65536"));
        Run sub = new Run("sub", "seq.slow", "--check-seq", "--lossy", "--server", url, "--retry-connect");
        sub.awaitLine(sub.err, "subscribed to seq.slow");
        signal("STOP", sub.process); // a subscriber that does not read, and so acknowledges nothing
        try {
            // 2,000 messages of 1,000 B: 30 times the bound.
            assertThat(new Run("pub", "seq.slow", "x".repeat(1000), "--seq", "--count", "2000", "--server", url)
                    .exitCode()).isZero();
        } finally {
            signal("CONT", sub.process);
        }
        // The server tells of the skipped messages before the subscription's next one.
        assertThat(new Run("pub", "seq.slow", "2001", "--server", url).exitCode()).isZero();
        sub.awaitLine(sub.out, "2001");
        assertThat(sub.out).last().isEqualTo("2001");
        sub.awaitLine(sub.err, "the server skipped");
        signal("TERM", sub.process);
        assertThat(sub.exitCode()).isEqualTo(6);
        sub.awaitLine(sub.err, "received=");
        Matcher summary = Pattern.compile("received=\\d+ lost=\\d+ duplicated=0 out_of_order=0 invalid=0 gap=([1-9]\\d*) "
                + "session_lost=0").matcher(String.join("\n", sub.err));
        assertThat(summary.find()).as("summary in %s", sub.err).isTrue();
        signal("TERM", server.process);
    }

    @Test
    void deniedSubscriptionsAndPublishesExitOneWithOneLine(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("perms.yaml");
        Files.writeString(config, """
                permissions:
                  default:
                    publish:
                      allow: ["demo.>"]
                    subscribe:
                      allow: ["demo.>"]
                """);
        int port = freePort();
        String url = "tcp://127.0.0.1:" + port;
        Run server = server(port, java.util.Map.of(), "--config", config.toString());

        Run sub = new Run("sub", "other.>", "--server", url);
        assertThat(sub.exitCode()).as("stderr %s", sub.err).isEqualTo(1);
        assertThat(sub.err).singleElement().asString().startsWith("conduit: denied: ").contains("other.>");
        Run pub = new Run("pub", "other.y", "x", "--server", url);
        assertThat(pub.exitCode()).as("stderr %s", pub.err).isEqualTo(1);
        assertThat(pub.err).singleElement().asString().startsWith("conduit: denied: ").contains("other.y");
        assertThat(new Run("pub", "demo.y", "x", "--server", url).exitCode()).isZero();
        signal("TERM", server.process);
    }

    @Test
    void clientVariablesDoNotStopAServerAndSecretsAreNeverPrinted() throws Exception {
        int port = freePort();
        Run server = server(port, java.util.Map.of("CONDUIT_TOKEN", "abc", "CONDUIT_SERVER", "tcp://127.0.0.1:1"));
        signal("TERM", server.process);
        assertThat(server.exitCode()).isNotNegative();

        Run bad = new Run(java.util.Map.of("CONDUIT_JWT_ALGORITHM", "HS256", "CONDUIT_JWT_SECRET", "too-short-secret-xyz"),
                false, "server", "--port", "0", "--http-port", "-1");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err).isNotEmpty().noneMatch(l -> l.contains("too-short-secret-xyz"));
    }

    @Test
    void sigintAndSigtermCloseSubAndReplyWithAGoodbyeAndExit130And143() throws Exception {
        int port = freePort();
        String url = "tcp://127.0.0.1:" + port;
        Run server = server(port, java.util.Map.of("JAVA_TOOL_OPTIONS",
                "-Dorg.slf4j.simpleLogger.log.dev.conduit.server.ServerConnection=debug"));
        Run sub = new Run("sub", "demo.>", "--server", url);
        Run reply = new Run("reply", "svc.echo", "--echo", "--server", url);
        sub.awaitLine(sub.err, "subscribed to demo.>");
        reply.awaitLine(reply.err, "replying on svc.echo");
        signal("INT", sub.process);
        assertThat(sub.exitCode()).isEqualTo(130);
        server.awaitLine(server.err, "is going away: client closing");
        signal("TERM", reply.process);
        assertThat(reply.exitCode()).isEqualTo(143);
        server.awaitLine(server.err, "is going away");
        assertThat(server.err.stream().filter(l -> l.contains("is going away: client closing")).count()).isEqualTo(2);
        signal("TERM", server.process);
    }

    @Test
    void retryConnectWaitsForAServerStartedLater() throws Exception {
        int port = freePort();
        String url = "tcp://127.0.0.1:" + port;
        Run pub = new Run("pub", "demo.x", "hi", "--server", url, "--retry-connect");
        Run server = server(port, java.util.Map.of());
        assertThat(pub.exitCode()).as("stderr %s", pub.err).isZero();
        signal("TERM", server.process);
    }

    @Test
    void tcpToTheHttpPortFailsAtOnceNamingTheWebSocketUrl() throws Exception {
        int port = freePort();
        int http = freePort();
        Run server = new Run("server", "--port", Integer.toString(port), "--http-port", Integer.toString(http));
        server.awaitLine(server.out, "http on http://127.0.0.1:" + http);
        // --retry-connect would try a silent or refusing address for ever: an HTTP answer ends it. The
        // message is the HTTP one, not the connect timeout's "no WELCOME", so it came before the timeout.
        Run pub = new Run("pub", "demo.x", "hi", "--server", "tcp://127.0.0.1:" + http, "--retry-connect");
        assertThat(pub.exitCode()).as("stderr %s", pub.err).isEqualTo(3);
        assertThat(pub.err).singleElement().asString().startsWith("conduit: cannot connect to tcp://127.0.0.1:" + http)
                .contains("answered in HTTP (HTTP/1.1 400 Bad Request)")
                .contains("connect to it with ws://127.0.0.1:" + http + "/conduit")
                .doesNotContain("no WELCOME");
        signal("TERM", server.process);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
