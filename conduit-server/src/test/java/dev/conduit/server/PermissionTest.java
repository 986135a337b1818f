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
import dev.conduit.protocol.ProtocolVersion;
import dev.conduit.server.spi.Permissions;
import dev.conduit.testkit.ManualClock;
import dev.conduit.testkit.RawFrameClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every permission rule over real sockets: the operation allowed, and the operation denied with
 * {@code ERROR 403 PERMISSION_DENIED}, not fatal, naming the subject or pattern (and the principal),
 * after which the offender's session goes on and a bystander session on the same server still
 * works. The permissions are those of docs/security.md's example, plus a deny pattern for publish
 * and two principals for {@code allowResponses}.
 */
class PermissionTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Map<String, String> TOKENS = Map.of(
            "billing", TokenHashes.newToken(), "ops", TokenHashes.newToken(), "responder", TokenHashes.newToken(),
            "quiet", TokenHashes.newToken(), "carol", TokenHashes.newToken(), "bystander", TokenHashes.newToken());

    private final ManualClock clock = ManualClock.create();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<RawFrameClient> raws = new ArrayList<>();
    /** Each raw session's inbox prefix, from its WELCOME. */
    private final Map<RawFrameClient, String> inboxes = new java.util.HashMap<>();
    private RoutingServer server;
    private Client bystander;

    @BeforeEach
    void start() {
        AuthConfig.Builder auth = AuthConfig.builder().failedAuthDelay(Duration.ZERO);
        TOKENS.forEach((principal, token) -> auth.token(principal, TokenHashes.hash(token)));
        auth.permissions("billing", new Permissions(List.of("orders.*.created", "billing.>"), List.of("billing.secret.>"),
                        List.of("orders.>", "billing.>"), List.of("orders.*.internal"), true))
                .permissions("ops", new Permissions(null, null, List.of("$SYS.>", ">"), null, false))
                .permissions("responder", new Permissions(null, List.of(">"), null, null, true))
                .permissions("quiet", new Permissions(null, List.of(">"), null, null, false))
                .permissions("bystander", Permissions.ALL)
                .permissions(AuthConfig.DEFAULT_PERMISSIONS, new Permissions(null, List.of(">"), List.of("public.>"), null, false));
        server = RoutingServer.create(ServerConfig.builder().host("127.0.0.1").port(0).ioThreads(2).clock(clock)
                .heartbeatInterval(Duration.ZERO).auth(auth.build()).build(), registry);
        server.start();
        bystander = Client.connect(ClientOptions.builder().endpoints("tcp://127.0.0.1:" + server.address().getPort())
                .initialConnectJitter(Duration.ZERO).token(TOKENS.get("bystander")).build());
        bystander.subscribe("bystander.echo", m -> m.reply(m.payload()));
        bystander.flush(WAIT).join();
        assertBystanderWorks();
    }

    @AfterEach
    void stop() throws Exception {
        for (RawFrameClient r : raws) {
            r.close();
        }
        if (bystander != null) {
            bystander.close();
        }
        server.close();
    }

    private void assertBystanderWorks() {
        Message reply = bystander.requestAndWait("bystander.echo", "still here".getBytes(UTF_8), WAIT);
        assertThat(reply.payloadAsString()).isEqualTo("still here");
    }

    /** A raw session authenticated as {@code principal}. */
    private RawFrameClient session(String principal) throws Exception {
        RawFrameClient c = new RawFrameClient(server.address());
        raws.add(c);
        c.send(new Frame.Hello(ProtocolVersion.MIN, ProtocolVersion.MAX, principal + "-app", "token",
                TOKENS.get(principal).getBytes(UTF_8), new byte[0], 0));
        Frame welcome = c.next();
        assertThat(welcome).isInstanceOf(Frame.Welcome.class);
        inboxes.put(c, ((Frame.Welcome) welcome).inboxPrefix());
        return c;
    }

    private static Frame.Publish publish(String subject) {
        return publish(subject, null);
    }

    private static Frame.Publish publish(String subject, String replyTo) {
        return new Frame.Publish(0, false, MessageBody.of(subject, replyTo, Headers.EMPTY, subject.getBytes(UTF_8)));
    }

    /** What the frames sent so far caused: nothing (allowed). */
    private static void allowed(RawFrameClient c, String what) throws Exception {
        assertThat(c.sync()).as("%s is allowed: no answer", what).isEmpty();
    }

    /**
     * What the frames sent so far caused: exactly one non-fatal 403 with this message; then the
     * session goes on (a further PING is answered).
     */
    private static void denied(RawFrameClient c, String message) throws Exception {
        List<Frame> frames = c.sync();
        assertThat(frames).as("the answer to an operation denied with '%s'", message).hasSize(1);
        assertThat(frames.get(0)).isInstanceOf(Frame.Error.class);
        Frame.Error e = (Frame.Error) frames.get(0);
        assertThat(e.errorCode()).isEqualTo(ErrorCode.PERMISSION_DENIED);
        assertThat(e.fatal()).as("403 is not fatal").isFalse();
        assertThat(e.message()).isEqualTo(message);
        assertThat(c.sync()).as("the session goes on after a denial").isEmpty();
    }

    /** The next frames are messages: subscription id and subject, in this order. */
    private static void receives(RawFrameClient c, String... sidAndSubject) throws Exception {
        List<String> got = new ArrayList<>();
        for (int i = 0; i < sidAndSubject.length; i++) {
            Frame f = c.next();
            assertThat(f).as("message %d of %s", i, List.of(sidAndSubject)).isInstanceOf(Frame.Message.class);
            Frame.Message m = (Frame.Message) f;
            got.add(m.subscriptionId() + " " + m.body().subject());
        }
        assertThat(got).containsExactly(sidAndSubject);
    }

    @Test
    void publishIsAllowedByAnAllowPatternAndDeniedWithout403OrByADenyPattern() throws Exception {
        RawFrameClient ops = session("ops");
        ops.send(new Frame.Subscribe(1, "orders.>", null, false), new Frame.Subscribe(2, "billing.>", null, false));
        allowed(ops, "ops subscribing to orders.> and billing.>");
        RawFrameClient billing = session("billing");

        billing.send(publish("orders.eu.created"));
        allowed(billing, "billing publishing to orders.eu.created");
        billing.send(publish("orders.eu.cancelled"));
        denied(billing, "permission denied: publish to 'orders.eu.cancelled' (principal billing)");
        billing.send(publish("billing.secret.keys"));
        denied(billing, "permission denied: publish to 'billing.secret.keys' (principal billing)");
        billing.send(publish("billing.invoices"));
        allowed(billing, "billing publishing to billing.invoices");

        // The denied messages were not routed: ops gets the allowed ones, in order, and nothing between.
        receives(ops, "1 orders.eu.created", "2 billing.invoices");
        assertThat(ops.sync()).isEmpty();
        Counter permissionErrors = registry.find("conduit.errors").tag("code", "403").counter();
        assertThat(permissionErrors).as("denials are not counted as errors").isNull();
        assertBystanderWorks();
    }

    @Test
    void subscribeIsAllowedWhenAnAllowPatternCoversItAndNoDenyPatternOverlapsIt() throws Exception {
        RawFrameClient billing = session("billing");
        billing.send(new Frame.Subscribe(1, "orders.eu.created", null, false));
        allowed(billing, "billing subscribing to orders.eu.created");
        billing.send(new Frame.Subscribe(2, "orders.>", null, false));
        denied(billing, "permission denied: subscribe to 'orders.>' (principal billing)");
        billing.send(new Frame.Subscribe(3, ">", null, false));
        denied(billing, "permission denied: subscribe to '>' (principal billing)");
        billing.send(new Frame.Subscribe(4, "orders.eu.internal", "workers", false));
        denied(billing, "permission denied: subscribe to 'orders.eu.internal' (principal billing)");
        String inbox = inboxes.get(billing);
        billing.send(new Frame.Subscribe(6, "_INBOX.k3Jx9Qw2.*", null, false));
        denied(billing, "permission denied: subscribe to '_INBOX.k3Jx9Qw2.*' (another session's inbox; this session's is "
                + inbox + "*)");
        billing.send(new Frame.Subscribe(5, inbox + "*", null, false));
        allowed(billing, "billing subscribing to its request inbox");

        // The denied subscriptions were not registered: only 1 and 5 receive.
        RawFrameClient ops = session("ops");
        ops.send(publish("orders.us.created"), publish("orders.eu.internal"), publish("orders.eu.created"),
                publish(inbox + "1"));
        allowed(ops, "ops publishing");
        receives(billing, "1 orders.eu.created", "5 " + inbox + "1");
        assertThat(billing.sync()).isEmpty();
        assertBystanderWorks();
    }

    @Test
    void allowResponsesLetsAPrincipalAnswerEachRequestItReceivedOnceWhateverItsPublishPatterns() throws Exception {
        RawFrameClient ops = session("ops");
        String opsInbox = inboxes.get(ops);
        ops.send(new Frame.Subscribe(1, opsInbox + "*", null, false));
        allowed(ops, "ops subscribing to its inbox");
        RawFrameClient responder = session("responder");
        responder.send(new Frame.Subscribe(1, "svc.quote", null, false));
        allowed(responder, "responder subscribing");
        RawFrameClient quiet = session("quiet");
        quiet.send(new Frame.Subscribe(1, "svc.slow", null, false));
        allowed(quiet, "quiet subscribing");

        ops.send(publish("svc.quote", opsInbox + "r1"), publish("svc.slow", opsInbox + "r2"));
        allowed(ops, "ops making requests");
        Frame.Message request = (Frame.Message) responder.next();
        assertThat(request.body().replyTo()).isEqualTo(opsInbox + "r1");
        assertThat(((Frame.Message) quiet.next()).body().replyTo()).isEqualTo(opsInbox + "r2");

        responder.send(publish("svc.other"));
        denied(responder, "permission denied: publish to 'svc.other' (principal responder)");
        responder.send(publish(opsInbox + "r1"));
        allowed(responder, "the responder answering the request it received");
        responder.send(publish(opsInbox + "r1"));
        denied(responder, "permission denied: publish to '" + opsInbox + "r1' (principal responder)");
        responder.send(publish(opsInbox + "r2"));
        denied(responder, "permission denied: publish to '" + opsInbox + "r2' (principal responder)");

        quiet.send(publish(opsInbox + "r2"));
        denied(quiet, "permission denied: publish to '" + opsInbox + "r2' (principal quiet)");

        receives(ops, "1 " + opsInbox + "r1");
        assertThat(ops.sync()).as("only the one answer").isEmpty();
        assertBystanderWorks();
    }

    @Test
    void nobodyPublishesToSysAndReadingItNeedsAnExplicitSysAllowPattern() throws Exception {
        RawFrameClient ops = session("ops");
        ops.send(publish("$SYS.stats"));
        denied(ops, "permission denied: publish to '$SYS.stats' (clients may not publish to $SYS)");
        ops.send(new Frame.Subscribe(1, "$SYS.stats", null, false), new Frame.Subscribe(2, ">", null, false));
        allowed(ops, "ops subscribing to $SYS.stats and >");

        RawFrameClient billing = session("billing");
        billing.send(new Frame.Subscribe(1, "$SYS.stats", null, false));
        denied(billing, "permission denied: subscribe to '$SYS.stats' (principal billing)");
        billing.send(new Frame.Subscribe(2, "$SYS.>", null, false));
        denied(billing, "permission denied: subscribe to '$SYS.>' (principal billing)");
        RawFrameClient bystanderRaw = session("bystander");
        bystanderRaw.send(new Frame.Subscribe(1, "$SYS.stats", null, false));
        denied(bystanderRaw, "permission denied: subscribe to '$SYS.stats' (principal bystander)");
        bystanderRaw.send(publish("$SYS.anything"));
        denied(bystanderRaw, "permission denied: publish to '$SYS.anything' (clients may not publish to $SYS)");

        // One second of the server's clock: a $SYS.stats snapshot, delivered to ops's $SYS.stats
        // subscription only, not to its '>' one.
        clock.advance(Duration.ofSeconds(1));
        ops.send(publish("after.stats"));
        Set<String> got = new java.util.HashSet<>();
        for (int i = 0; i < 2; i++) {
            Frame.Message m = (Frame.Message) ops.next();
            got.add(m.subscriptionId() + " " + m.body().subject());
        }
        assertThat(got).containsExactlyInAnyOrder("1 $SYS.stats", "2 after.stats");
        assertThat(ops.sync()).isEmpty();
        assertThat(billing.sync()).as("billing received no stats").isEmpty();
        assertBystanderWorks();
    }

    @Test
    void aPrincipalWithoutAnEntryGetsTheDefaultEntry() throws Exception {
        RawFrameClient carol = session("carol");
        carol.send(new Frame.Subscribe(1, "public.news", null, false));
        allowed(carol, "carol subscribing to public.news");
        carol.send(new Frame.Subscribe(2, "orders.>", null, false));
        denied(carol, "permission denied: subscribe to 'orders.>' (principal carol)");
        carol.send(publish("public.news"));
        denied(carol, "permission denied: publish to 'public.news' (principal carol)");

        RawFrameClient ops = session("ops");
        ops.send(publish("public.news"));
        allowed(ops, "ops publishing to public.news");
        receives(carol, "1 public.news");
        assertBystanderWorks();
    }

    @Test
    void theAnonymousSessionsOfAServerWithoutAuthenticationMayReadSysButPublishToItNot() throws Exception {
        try (Server open = Server.create(ServerConfig.builder().host("127.0.0.1").port(0).clock(clock)
                .heartbeatInterval(Duration.ZERO).build()).start();
             RawFrameClient anon = RawFrameClient.open(open.address())) {
            anon.send(new Frame.Subscribe(1, "$SYS.>", null, false));
            allowed(anon, "anonymous subscribing to $SYS.> without authentication configured");
            anon.send(publish("$SYS.stats"));
            denied(anon, "permission denied: publish to '$SYS.stats' (clients may not publish to $SYS)");
        }
        // With a default entry, anonymous sessions are held to it like everyone else: no $SYS.
        try (Server withDefault = Server.create(ServerConfig.builder().host("127.0.0.1").port(0).clock(clock)
                .heartbeatInterval(Duration.ZERO).auth(AuthConfig.builder()
                        .permissions(AuthConfig.DEFAULT_PERMISSIONS, Permissions.ALL).build()).build()).start();
             RawFrameClient anon = RawFrameClient.open(withDefault.address())) {
            anon.send(new Frame.Subscribe(1, "$SYS.>", null, false));
            denied(anon, "permission denied: subscribe to '$SYS.>' (principal anonymous)");
        }
        assertBystanderWorks();
    }
}
