package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.protocol.Frame;
import dev.conduit.server.spi.AuthRequest;
import dev.conduit.server.spi.AuthResult;
import dev.conduit.server.spi.Authenticator;
import dev.conduit.server.spi.Principal;
import dev.conduit.testkit.RawFrameClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An authentication plug-in is user code: it runs off the event loop, so one that blocks delays
 * only its own connection's handshake, and frames the client sent behind its HELLO wait for it.
 */
class PluginAuthenticatorThreadTest {
    private Server server;
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile Thread ranOn;

    @AfterEach
    void stop() {
        release.countDown();
        if (server != null) {
            server.close();
        }
    }

    /** Accepts "slow" after the test releases it, and "fast" at once; records its thread. */
    private final Authenticator plugin = new Authenticator() {
        @Override
        public String scheme() {
            return "test";
        }

        @Override
        public AuthResult authenticate(AuthRequest request) {
            ranOn = Thread.currentThread();
            String who = new String(request.credentials(), StandardCharsets.UTF_8);
            if (who.equals("slow")) {
                entered.countDown();
                try {
                    if (!release.await(30, TimeUnit.SECONDS)) {
                        return AuthResult.refused("never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return AuthResult.refused("interrupted");
                }
            }
            return AuthResult.accepted(Principal.named(who));
        }
    };

    private static Frame.Hello hello(String who) {
        return new Frame.Hello(1, 1, who, "test", who.getBytes(StandardCharsets.UTF_8), new byte[0], 0);
    }

    @Test
    void aBlockingPluginRunsOnAVirtualThreadAndDelaysOnlyItsOwnHandshake() throws Exception {
        server = Server.create(ServerConfig.builder().port(0).ioThreads(1).drainTimeout(Duration.ofSeconds(1))
                .auth(AuthConfig.builder().authenticator(plugin).build()).build()).start();
        try (RawFrameClient slow = new RawFrameClient(server.address());
             RawFrameClient fast = new RawFrameClient(server.address())) {
            // HELLO and, behind it in the same write, a frame that needs the session.
            slow.send(hello("slow"), new Frame.Subscribe(1, "after.hello", null), new Frame.Ping(7));
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(ranOn.isVirtual()).isTrue();
            assertThat(ranOn.getName()).startsWith("conduit-auth-");

            // One I/O thread, its plug-in blocked: another client's handshake still completes.
            fast.send(hello("fast"));
            assertThat(fast.next()).isInstanceOf(Frame.Welcome.class);
            assertThat(fast.sync()).isEmpty();

            release.countDown();
            assertThat(slow.next()).isInstanceOf(Frame.Welcome.class);
            assertThat(slow.next()).as("the SUBSCRIBE was held, then handled, and the PING answered")
                    .isEqualTo(new Frame.Pong(7));
        }
    }
}
