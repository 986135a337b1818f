package dev.conduit.systemtests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.client.Client;
import dev.conduit.client.Message;
import dev.conduit.client.NoRespondersException;
import dev.conduit.client.RequestTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Request/reply across real TCP connections. */
class RequestReplyTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void replyReachesTheRequester() throws Exception {
        try (TestServer ts = TestServer.start()) {
            Client responder = ts.client();
            responder.subscribe("svc.echo", m -> m.reply(m.payload()));
            responder.flush(WAIT).get();
            Message reply = ts.client().requestAndWait("svc.echo", "ping".getBytes(UTF_8), WAIT);
            assertThat(reply.payloadAsString()).isEqualTo("ping");
        }
    }

    @Test
    void thousandConcurrentRequestsOverOneConnectionAreEachAnsweredCorrectly() throws Exception {
        try (TestServer ts = TestServer.start()) {
            Client responder = ts.client();
            responder.subscribe("svc.double", m -> {
                long n = Long.parseLong(m.payloadAsString());
                m.reply(Long.toString(n * 2).getBytes(UTF_8));
            });
            responder.flush(WAIT).get();

            Client requester = ts.client();
            List<CompletableFuture<Message>> replies = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) {
                replies.add(requester.request("svc.double", Integer.toString(i).getBytes(UTF_8), WAIT));
            }
            for (int i = 0; i < replies.size(); i++) {
                assertThat(replies.get(i).get(30, TimeUnit.SECONDS).payloadAsString())
                        .as("reply to request %d", i).isEqualTo(Long.toString(i * 2L));
            }
            assertThat(ts.server.connectionCount()).isEqualTo(2);
        }
    }

    @Test
    void requestWithNoRespondersFailsAtOnceWithItsOwnError() {
        try (TestServer ts = TestServer.start()) {
            Client requester = ts.client();
            // A timeout far longer than the test's own limit: only a NO_RESPONDERS can end it in time.
            CompletableFuture<Message> f = requester.request("nobody.home", new byte[0], Duration.ofHours(1));
            assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(NoRespondersException.class).hasMessageContaining("nobody.home");
            assertThatThrownBy(() -> requester.requestAndWait("nobody.home", new byte[0], Duration.ofHours(1)))
                    .isInstanceOf(NoRespondersException.class);
        }
    }

    @Test
    void requestThatIsNeverAnsweredTimesOut() throws Exception {
        try (TestServer ts = TestServer.start()) {
            Client silent = ts.client();
            CountDownLatch seen = new CountDownLatch(1);
            silent.subscribe("svc.silent", m -> seen.countDown());
            silent.flush(WAIT).get();
            assertThatThrownBy(() -> ts.client().requestAndWait("svc.silent", new byte[0], Duration.ofMillis(200)))
                    .isInstanceOf(RequestTimeoutException.class)
                    .hasMessageContaining("svc.silent")
                    .hasMessageContaining("200 ms");
            assertThat(seen.await(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void replyHandlersRunOffTheIoThreads() throws Exception {
        try (TestServer ts = TestServer.start()) {
            Client responder = ts.client();
            responder.subscribe("svc.thread", m -> m.reply(Thread.currentThread().getName().getBytes(UTF_8)));
            responder.flush(WAIT).get();
            Client requester = ts.client();
            String[] completingThread = new String[1];
            Message reply = requester.request("svc.thread", new byte[0], WAIT)
                    .thenApply(m -> {
                        completingThread[0] = Thread.currentThread().getName();
                        return m;
                    }).get(30, TimeUnit.SECONDS);
            assertThat(reply.payloadAsString()).doesNotStartWith("conduit-io");
            assertThat(completingThread[0]).doesNotStartWith("conduit-io");
        }
    }

    @Test
    void inProcessClientsTalkToTcpClients() throws Exception {
        try (TestServer ts = TestServer.start()) {
            Client local = Client.connectLocal(ts.server.localConnector());
            try {
                local.subscribe("svc.local", m -> m.reply(("local:" + m.payloadAsString()).getBytes(UTF_8)));
                local.flush(WAIT).get();
                assertThat(ts.client().requestAndWait("svc.local", "x".getBytes(UTF_8), WAIT).payloadAsString())
                        .isEqualTo("local:x");
                Client remote = ts.client();
                remote.subscribe("svc.remote", m -> m.reply(("remote:" + m.payloadAsString()).getBytes(UTF_8)));
                remote.flush(WAIT).get();
                assertThat(local.requestAndWait("svc.remote", "y".getBytes(UTF_8), WAIT).payloadAsString())
                        .isEqualTo("remote:y");
            } finally {
                local.close();
            }
        }
    }
}
