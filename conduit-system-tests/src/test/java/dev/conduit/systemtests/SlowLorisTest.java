package dev.conduit.systemtests;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.conduit.client.Client;
import dev.conduit.client.Message;
import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.ProtocolLimits;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Slow-loris: thousands of connections that open and never finish the handshake (some send nothing,
 * some half a HELLO, some a HELLO's length and one byte of it) are all closed by the handshake
 * deadline, each with {@code ERROR 408}, while a well-behaved client gets an answer to every
 * request it makes meanwhile.
 *
 * <p>The attackers come from four loopback addresses (127.0.0.2 to 127.0.0.5, 500 each), so that the
 * default per-address limit (1,000) does not stop them before the deadline does: this test is about
 * the deadline. 2,000 client sockets and 2,000 server sockets stay well inside the process's
 * 20,000 open files.
 */
class SlowLorisTest {
    private static final int ATTACKERS = 2_000;
    private static final Duration DEADLINE = Duration.ofMillis(1_500);

    @Test
    void connectionsThatNeverFinishTheHandshakeAreAllClosedByTheDeadlineWhileAClientIsServed() throws Exception {
        try (TestServer ts = TestServer.start(b -> b.handshakeTimeout(DEADLINE));
             Selector selector = Selector.open()) {
            Client responder = ts.client();
            responder.subscribe("svc.echo", m -> m.reply(m.payload()));
            responder.flush(Duration.ofSeconds(10)).get();
            Client requester = ts.client();
            int baseline = ts.server.connectionCount();

            AtomicBoolean attackOver = new AtomicBoolean();
            AtomicLong replies = new AtomicLong();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            CountDownLatch requesterDone = new CountDownLatch(1);
            Thread requests = Thread.ofPlatform().name("well-behaved").start(() -> {
                try {
                    for (long i = 0; !attackOver.get(); i++) {
                        String body = "r" + i;
                        try {
                            Message reply = requester.requestAndWait("svc.echo", body.getBytes(UTF_8), Duration.ofSeconds(5));
                            if (!reply.payloadAsString().equals(body)) {
                                failures.add(new AssertionError("reply " + reply.payloadAsString() + " to " + body));
                            }
                            replies.incrementAndGet();
                        } catch (RuntimeException e) {
                            failures.add(e);
                        }
                    }
                } finally {
                    requesterDone.countDown();
                }
            });

            byte[] hello = HostileFrames.bytes(Frame.Hello.anonymous(1, "loris"));
            long start = System.nanoTime();
            List<Attacker> attackers = new ArrayList<>();
            InetSocketAddress server = ts.server.address();
            for (int i = 0; i < ATTACKERS; i++) {
                SocketChannel ch = SocketChannel.open();
                ch.bind(new InetSocketAddress(InetAddress.getByName("127.0.0." + (2 + i % 4)), 0));
                ch.connect(server);
                ch.configureBlocking(false);
                Attacker a = new Attacker(ch);
                switch (i % 3) {
                    case 0 -> { } // nothing at all
                    case 1 -> a.write(Arrays.copyOf(hello, hello.length / 2));
                    default -> a.write(Arrays.copyOf(hello, 5)); // the length and one byte
                }
                ch.register(selector, SelectionKey.OP_READ, a);
                attackers.add(a);
            }
            long opened = System.nanoTime();
            // Until every attacker has seen its connection end; bounded by Awaitility.
            long[] closed = {0};
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(1)).until(() -> {
                selector.select(100);
                for (SelectionKey key : selector.selectedKeys()) {
                    Attacker a = (Attacker) key.attachment();
                    if (a.read()) {
                        key.cancel();
                        a.channel.close();
                        closed[0]++;
                    }
                }
                selector.selectedKeys().clear();
                return closed[0] == ATTACKERS;
            });
            long allClosed = System.nanoTime();
            attackOver.set(true);
            assertThat(requesterDone.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            requests.join();
            System.out.printf("SlowLorisTest: %d connections opened in %d ms, all closed %d ms after the last opened "
                    + "(deadline %d ms); %d requests answered meanwhile%n", ATTACKERS, (opened - start) / 1_000_000,
                    (allClosed - opened) / 1_000_000, DEADLINE.toMillis(), replies.get());

            long told408 = attackers.stream().filter(a -> a.error() == ErrorCode.HANDSHAKE_TIMEOUT).count();
            assertThat(told408).as("attackers told 408 before the close").isEqualTo(ATTACKERS);
            assertThat(failures).as("requests of the well-behaved client").isEmpty();
            assertThat(replies.get()).isPositive();
            await().atMost(Duration.ofSeconds(30)).until(() -> ts.server.connectionCount() == baseline);
        }
    }

    /** One attacker's socket, and what it has received. */
    private static final class Attacker {
        final SocketChannel channel;
        private final ByteBuffer received = ByteBuffer.allocate(1024);

        Attacker(SocketChannel channel) {
            this.channel = channel;
        }

        void write(byte[] bytes) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                channel.write(b);
            }
        }

        /** Reads what is there; true once the server has closed (EOF or reset). */
        boolean read() {
            try {
                while (true) {
                    if (!received.hasRemaining()) {
                        received.clear(); // more than an ERROR: keep reading, the first bytes are decoded already
                    }
                    int n = channel.read(received);
                    if (n < 0) {
                        return true;
                    }
                    if (n == 0) {
                        return false;
                    }
                }
            } catch (IOException e) {
                return true;
            }
        }

        /** The code of the ERROR the server sent first, or null. */
        ErrorCode error() {
            ByteBuffer b = received.duplicate().flip();
            try {
                Frame f = new FrameCodec(ProtocolLimits.DEFAULT).decode(b);
                return f instanceof Frame.Error e ? e.errorCode() : null;
            } catch (RuntimeException e) {
                return null;
            }
        }
    }
}
