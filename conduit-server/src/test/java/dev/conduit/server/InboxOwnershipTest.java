package dev.conduit.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.client.Client;
import dev.conduit.client.ClientOptions;
import dev.conduit.client.Message;
import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.server.spi.Permissions;
import dev.conduit.testkit.RawFrameClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Inboxes belong to their session: the server assigns each session an inbox prefix in WELCOME, only
 * that session may subscribe or receive under it, and a reply subject must be one the requester
 * could read. The scenarios of issue 13: reading another session's replies, and having an
 * {@code allowResponses} echo service publish a forged command onto a subject the requester may not
 * touch.
 */
class InboxOwnershipTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private RoutingServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start(AuthConfig auth) {
        ServerConfig.Builder b = ServerConfig.builder().host("127.0.0.1").port(0).heartbeatInterval(Duration.ZERO);
        if (auth != null) {
            b.auth(auth);
        }
        server = RoutingServer.create(b.build());
        server.start();
    }

    private RawFrameClient anonymous(String name) throws Exception {
        RawFrameClient c = new RawFrameClient(server.address());
        c.send(Frame.Hello.anonymous(1, name));
        return c;
    }

    private static Frame.Publish publish(String subject, String replyTo, boolean request) {
        return new Frame.Publish(0, request, MessageBody.of(subject, replyTo, Headers.EMPTY, subject.getBytes(UTF_8)));
    }

    private static void denied(RawFrameClient c, String message) throws Exception {
        assertThat(c.sync()).singleElement().isInstanceOfSatisfying(Frame.Error.class, e -> {
            assertThat(e.errorCode()).isEqualTo(ErrorCode.PERMISSION_DENIED);
            assertThat(e.fatal()).isFalse();
            assertThat(e.message()).isEqualTo(message);
        });
    }

    @Test
    void onADefaultServerNoSessionCanReadAnothersReplies() throws Exception {
        start(null);
        try (RawFrameClient requester = anonymous("requester"); RawFrameClient snoop = anonymous("snoop");
             RawFrameClient responder = anonymous("responder")) {
            String inbox = ((Frame.Welcome) requester.next()).inboxPrefix();
            String snoopInbox = ((Frame.Welcome) snoop.next()).inboxPrefix();
            responder.next();
            assertThat(inbox).startsWith("_INBOX.").endsWith(".").isNotEqualTo(snoopInbox);
            assertThat(inbox.length()).as("16 random bytes, base64url").isEqualTo("_INBOX.".length() + 22 + 1);

            snoop.send(new Frame.Subscribe(1, inbox + "*", null, false));
            denied(snoop, "permission denied: subscribe to '" + inbox + "*' (another session's inbox; this session's is "
                    + snoopInbox + "*)");
            snoop.send(new Frame.Subscribe(2, "_INBOX.>", null, false));
            denied(snoop, "permission denied: subscribe to '_INBOX.>' (another session's inbox; this session's is "
                    + snoopInbox + "*)");
            snoop.send(new Frame.Subscribe(3, ">", null, false), new Frame.Subscribe(4, "*.*.*", null, false));
            assertThat(snoop.sync()).as("wildcards are allowed, but see below").isEmpty();

            requester.send(new Frame.Subscribe(1, inbox + "*", null, false));
            responder.send(new Frame.Subscribe(1, "svc.echo", null, false));
            assertThat(requester.sync()).isEmpty();
            assertThat(responder.sync()).isEmpty();
            requester.send(publish("svc.echo", inbox + "1", true));
            assertThat(requester.sync()).isEmpty();
            Frame.Message request = (Frame.Message) responder.next();
            assertThat(request.body().replyTo()).isEqualTo(inbox + "1");
            responder.send(publish(request.body().replyTo(), null, false));
            assertThat(responder.sync()).isEmpty();

            assertThat(requester.next()).isInstanceOfSatisfying(Frame.Message.class,
                    m -> assertThat(m.body().subject()).isEqualTo(inbox + "1"));
            // The snoop's '>' and '*.*.*' saw the request, never the reply.
            List<Frame> seen = snoop.sync();
            assertThat(seen).extracting(f -> ((Frame.Message) f).body().subject()).containsOnly("svc.echo");
        }
    }

    @Test
    void aReplySubjectUnderAnotherInboxIsRefused() throws Exception {
        start(null);
        try (RawFrameClient a = anonymous("a"); RawFrameClient b = anonymous("b")) {
            String aInbox = ((Frame.Welcome) a.next()).inboxPrefix();
            String bInbox = ((Frame.Welcome) b.next()).inboxPrefix();
            b.send(publish("svc.echo", aInbox + "1", true));
            denied(b, "permission denied: publish to 'svc.echo' (its reply subject '" + aInbox
                    + "1' is neither this session's inbox " + bInbox + "* nor a subject it may subscribe to)");
            b.send(publish("svc.echo", "plain.reply", true));
            assertThat(b.sync()).as("outside _INBOX, a subject b may subscribe to (anonymous: any)")
                    .containsExactly(new Frame.NoResponders("plain.reply"));
        }
    }

    @Test
    void anEchoServiceWithAllowResponsesCannotBeMadeToForgeACommand() throws Exception {
        String malloryToken = TokenHashes.newToken();
        String echoToken = TokenHashes.newToken();
        String bobToken = TokenHashes.newToken();
        AuthConfig auth = AuthConfig.builder().failedAuthDelay(Duration.ZERO)
                .token("mallory", TokenHashes.hash(malloryToken))
                .token("echo", TokenHashes.hash(echoToken))
                .token("bob", TokenHashes.hash(bobToken))
                // mallory may ask the echo service and read public.>, never touch bsecret.>
                .permissions("mallory", new Permissions(List.of("svc.echo"), null, List.of("public.>"), null, false))
                // the echo service answers whatever it receives, and may publish nothing else
                .permissions("echo", new Permissions(null, List.of(">"), List.of("svc.echo"), null, true))
                .permissions("bob", Permissions.ALL)
                .build();
        start(auth);
        String url = "tcp://127.0.0.1:" + server.address().getPort();
        try (Client bob = Client.connect(ClientOptions.builder().endpoints(url).token(bobToken).build());
             Client echo = Client.connect(ClientOptions.builder().endpoints(url).token(echoToken).build());
             RawFrameClient mallory = new RawFrameClient(server.address())) {
            java.util.concurrent.BlockingQueue<String> commands = new java.util.concurrent.LinkedBlockingQueue<>();
            bob.subscribe("bsecret.cmd", m -> commands.add(m.payloadAsString()));
            echo.subscribe("svc.echo", m -> m.reply("FORGED-COMMAND".getBytes(UTF_8)));
            bob.flush(WAIT).join();
            echo.flush(WAIT).join();
            mallory.send(new Frame.Hello(1, 1, "mallory", "token", malloryToken.getBytes(UTF_8), new byte[0], 0));
            String malloryInbox = ((Frame.Welcome) mallory.next()).inboxPrefix();

            mallory.send(publish("svc.echo", "bsecret.cmd", true));
            denied(mallory, "permission denied: publish to 'svc.echo' (its reply subject 'bsecret.cmd' is neither this "
                    + "session's inbox " + malloryInbox + "* nor a subject it may subscribe to)");

            // Its own inbox works: the echo answers there, and nothing reached bsecret.cmd.
            mallory.send(new Frame.Subscribe(1, malloryInbox + "*", null, false));
            mallory.send(publish("svc.echo", malloryInbox + "7", true));
            assertThat(mallory.next()).as("the reply, and no error before it").isInstanceOfSatisfying(Frame.Message.class, m -> {
                assertThat(m.body().subject()).isEqualTo(malloryInbox + "7");
                assertThat(new String(m.body().payload(), UTF_8)).isEqualTo("FORGED-COMMAND");
            });
            bob.flush(WAIT).join();
            Message probe = bob.requestAndWait("svc.echo", "x".getBytes(UTF_8), WAIT);
            assertThat(probe.payloadAsString()).as("Java request/reply through the assigned inbox").isEqualTo("FORGED-COMMAND");
            assertThat(commands).as("no command was forged onto bsecret.cmd").isEmpty();
        }
    }

    @Test
    void javaRequestReplyUsesTheAssignedInboxOverTcpAndInMemory() throws Exception {
        start(null);
        String url = "tcp://127.0.0.1:" + server.address().getPort();
        try (Client responder = Client.connect(ClientOptions.builder().endpoints(url).build());
             Client requester = Client.connect(ClientOptions.builder().endpoints(url).build());
             Client local = Client.connectLocal(server.localConnector())) {
            java.util.concurrent.BlockingQueue<String> replyTos = new java.util.concurrent.LinkedBlockingQueue<>();
            responder.subscribe("svc.upper", m -> {
                replyTos.add(m.replyTo());
                m.reply(m.payloadAsString().toUpperCase().getBytes(UTF_8));
            });
            responder.flush(WAIT).join();
            assertThat(requester.requestAndWait("svc.upper", "tcp".getBytes(UTF_8), WAIT).payloadAsString()).isEqualTo("TCP");
            assertThat(local.requestAndWait("svc.upper", "mem".getBytes(UTF_8), WAIT).payloadAsString()).isEqualTo("MEM");
            Map<String, String> inboxes = new java.util.HashMap<>();
            for (ServerSession s : server.sessionList()) {
                inboxes.put(s.id, s.inboxPrefix);
            }
            assertThat(replyTos).hasSize(2).allSatisfy(r -> assertThat(inboxes.values()).anySatisfy(p -> assertThat(r).startsWith(p)));
        }
    }
}
