package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.testkit.RawFrameClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The single writer of a session's outbound state ({@link SessionWriter}): publishers on several
 * event loops route to one subscriber at once, and it receives every message exactly once, numbered
 * 1..N without a gap, each publisher's in order; every use of its outbound state ran inside its
 * writer, on one thread; and after a resume on a new connection the writer moves there with
 * nothing lost, repeated or reordered.
 */
class SingleWriterTest {
    private static final int PUBLISHERS = 4;
    private static final int EACH = 2_000;

    private RoutingServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void start() {
        server = (RoutingServer) Server.create(ServerConfig.builder().port(0).httpPort(-1).ioThreads(4)
                .heartbeatInterval(Duration.ZERO).resumeWindow(Duration.ofMinutes(1))
                .drainTimeout(Duration.ofSeconds(1)).build()).start();
    }

    private static Frame.Publish publish(String subject, String payload) {
        return new Frame.Publish(0, false,
                MessageBody.of(subject, null, Headers.EMPTY, payload.getBytes(StandardCharsets.UTF_8)));
    }

    /** Publishes {@code load.<p>} with payloads {@code p:0..p:count-1} and waits until it is routed. */
    private void publishAll(int p, int count) throws Exception {
        try (RawFrameClient pub = RawFrameClient.open(server.address())) {
            for (int i = 0; i < count; i++) {
                pub.send(publish("load." + p, p + ":" + i));
            }
            pub.sync();
        }
    }

    /** Reads MESSAGE frames (skipping ACKs) until {@code count} have come. */
    private static List<Frame.Message> messages(RawFrameClient c, int count) throws Exception {
        List<Frame.Message> out = new ArrayList<>(count);
        while (out.size() < count) {
            Frame f = c.next();
            if (f instanceof Frame.Message m) {
                out.add(m);
            } else {
                assertThat(f).isInstanceOf(Frame.Ack.class);
            }
        }
        return out;
    }

    /** Each publisher's payloads, in the order received, must be {@code p:0, p:1, ...}. */
    private static void assertPerPublisherOrder(List<Frame.Message> received, int publishers, int each) {
        int[] next = new int[publishers];
        for (Frame.Message m : received) {
            String[] parts = new String(m.body().payload(), StandardCharsets.UTF_8).split(":");
            int p = Integer.parseInt(parts[0]);
            assertThat(Integer.parseInt(parts[1])).as("publisher %d's next message", p).isEqualTo(next[p]);
            next[p]++;
        }
        for (int p = 0; p < publishers; p++) {
            assertThat(next[p]).as("messages of publisher %d", p).isEqualTo(each);
        }
    }

    private static void assertNumberedFrom(List<Frame.Message> received, long first) {
        for (int i = 0; i < received.size(); i++) {
            assertThat(received.get(i).sequence()).as("MESSAGE %d", i).isEqualTo(first + i);
        }
    }

    @Test
    void publishersOnSeveralLoopsReachOneSubscriberNumberedOnceInOrderByOneWriter() throws Exception {
        start();
        ExecutorService threads = Executors.newFixedThreadPool(PUBLISHERS);
        try (RawFrameClient sub = new RawFrameClient(server.address())) {
            sub.send(Frame.Hello.anonymous(1, "sub"));
            Frame.Welcome w = (Frame.Welcome) sub.next();
            sub.send(new Frame.Subscribe(1, "load.>", null));
            assertThat(sub.sync()).isEmpty();

            // One connection each, spread over the server's four loops: routing runs on all of them at once.
            List<Future<?>> done = new ArrayList<>();
            for (int p = 0; p < PUBLISHERS; p++) {
                int id = p;
                done.add(threads.submit(() -> {
                    publishAll(id, EACH);
                    return null;
                }));
            }
            List<Frame.Message> received = messages(sub, PUBLISHERS * EACH);
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }

            assertNumberedFrom(received, 1);
            assertPerPublisherOrder(received, PUBLISHERS, EACH);
            ServerSession session = server.session(w.sessionId());
            assertThat(session.writer.offWriterCount()).as("outbound state used outside the writer").isZero();
            assertThat(session.writer.threadChanges()).as("the writer stayed on the subscriber's loop").isZero();
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aResumeOnAnotherConnectionMovesTheWriterWithNothingLostRepeatedOrReordered() throws Exception {
        start();
        ExecutorService threads = Executors.newFixedThreadPool(PUBLISHERS);
        try {
            Frame.Welcome w;
            List<Frame.Message> before;
            List<Future<?>> done = new ArrayList<>();
            try (RawFrameClient sub = new RawFrameClient(server.address())) {
                sub.send(Frame.Hello.anonymous(1, "sub"));
                w = (Frame.Welcome) sub.next();
                sub.send(new Frame.Subscribe(1, "load.>", null));
                assertThat(sub.sync()).isEmpty();
                for (int p = 0; p < PUBLISHERS; p++) {
                    int id = p;
                    done.add(threads.submit(() -> {
                        publishAll(id, EACH);
                        return null;
                    }));
                }
                before = messages(sub, 500); // then the connection drops, with the publishers still going
            }
            long lastReceived = before.getLast().sequence();
            List<Frame.Message> after;
            try (RawFrameClient again = new RawFrameClient(server.address())) {
                again.send(new Frame.Hello(1, 1, "sub", "", new byte[0], w.resumeToken().encoded(), lastReceived));
                Frame.Welcome resumed = (Frame.Welcome) again.next();
                assertThat(resumed.resumed()).isTrue();
                after = messages(again, PUBLISHERS * EACH - before.size());
                for (Future<?> f : done) {
                    f.get(60, TimeUnit.SECONDS);
                }
                assertThat(again.sync()).as("nothing more, nothing twice").isEmpty();
            }

            List<Frame.Message> all = new ArrayList<>(before);
            all.addAll(after);
            assertNumberedFrom(all, 1);
            assertPerPublisherOrder(all, PUBLISHERS, EACH);
            assertThat(server.session(w.sessionId()).writer.offWriterCount()).isZero();
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * Deliveries are items in the writer's queue and the PONG a task in the same queue: a client that
     * publishes to its own subscription and then PINGs, in one write, gets every MESSAGE (timed ones
     * among them, one publish in 64) numbered and in order before the PONG.
     */
    @Test
    void deliveriesAndTasksRunInTheOrderHandedOver() throws Exception {
        start();
        int count = 3 * RoutingServer.DELIVERY_SAMPLE_EVERY + 5;
        try (RawFrameClient c = RawFrameClient.open(server.address())) {
            c.send(new Frame.Subscribe(1, "self", null));
            Frame.Publish[] publishes = new Frame.Publish[count];
            for (int i = 0; i < count; i++) {
                publishes[i] = publish("self", "0:" + i);
            }
            c.send(publishes);
            List<Frame.Message> before = new ArrayList<>();
            for (Frame f : c.sync()) {
                assertThat(f).isInstanceOf(Frame.Message.class);
                before.add((Frame.Message) f);
            }
            assertThat(before).hasSize(count);
            assertNumberedFrom(before, 1);
            assertPerPublisherOrder(before, 1, count);
        }
        assertThat(server.metrics().registry().get("conduit.delivery.latency").timer().count()).isPositive();
    }
}
