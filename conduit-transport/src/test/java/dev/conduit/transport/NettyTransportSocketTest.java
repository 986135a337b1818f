package dev.conduit.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.protocol.ProtocolLimits;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link NettyTransport} over real sockets on 127.0.0.1, for each socket implementation. */
class NettyTransportSocketTest {

    /** One side's events, in order, with the thread each arrived on. */
    private static final class Events implements FrameHandler {
        final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        final List<String> threads = new ArrayList<>();

        @Override
        public void onFrame(Frame frame) {
            threads.add(Thread.currentThread().getName());
            queue.add(frame);
        }

        @Override
        public void onProtocolError(ProtocolException error, boolean inSync) {
            queue.add(error);
        }

        @Override
        public void onClosed(Throwable cause) {
            queue.add("closed");
        }

        Object next() throws InterruptedException {
            Object e = queue.poll(30, TimeUnit.SECONDS);
            assertThat(e).as("an event within 30 s").isNotNull();
            return e;
        }
    }

    private static Transport transport(TransportOptions.Kind kind) {
        return Transport.create(TransportOptions.builder().ioThreads(2).kind(kind).daemon(true).build());
    }

    /** Listens, connects, sends a burst each way, and closes from the client side. */
    private static void exchange(Transport transport) throws Exception {
        Events server = new Events();
        CompletableFuture<Connection> accepted = new CompletableFuture<>();
        List<String> acceptorThreads = new ArrayList<>();
        Listener listener = transport.listen(new InetSocketAddress("127.0.0.1", 0), ProtocolLimits.DEFAULT, c -> {
            acceptorThreads.add(Thread.currentThread().getName());
            accepted.complete(c);
            return server;
        });
        try {
            assertThat(listener.address().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
            assertThat(listener.address().getPort()).isPositive();
            Events client = new Events();
            Connection c = transport.connect(new Endpoint("tcp", "127.0.0.1", listener.address().getPort()),
                    Duration.ofSeconds(10), conn -> client).get(30, TimeUnit.SECONDS);
            Connection s = accepted.get(30, TimeUnit.SECONDS);
            assertThat(c.isOpen()).isTrue();
            assertThat(c.transportName()).isEqualTo("tcp");
            assertThat(c.remoteAddress()).contains("127.0.0.1").contains(":" + listener.address().getPort());
            assertThat(acceptorThreads).singleElement().asString().startsWith("conduit-io");

            byte[] big = new byte[200_000];
            new Random(7).nextBytes(big);
            MessageBody bigBody = MessageBody.of("big.one", "_INBOX.r", Headers.of("h", "v"), big);
            List<Frame> up = new ArrayList<>();
            List<Frame> down = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                up.add(i == 250 ? new Frame.Publish(i, true, bigBody) : new Frame.Ping(i));
                down.add(i == 100 || i == 101 ? new Frame.Message(0, i, bigBody) : new Frame.Pong(i));
            }
            up.forEach(c::send);
            down.forEach(s::send);
            for (Frame f : up) {
                assertThat(server.next()).isEqualTo(f);
            }
            for (Frame f : down) {
                assertThat(client.next()).isEqualTo(f);
            }
            assertThat(server.threads).allSatisfy(t -> assertThat(t).startsWith("conduit-io"));

            c.close();
            assertThat(server.next()).isEqualTo("closed");
            assertThat(client.next()).isEqualTo("closed");
            assertThat(c.closeFuture()).succeedsWithin(Duration.ofSeconds(30));
            assertThat(s.closeFuture()).succeedsWithin(Duration.ofSeconds(30));
            assertThat(s.send(new Frame.Ping(1))).isFalse();
            assertThat(c.send(new Frame.Ping(1))).isFalse();
            assertThat(server.queue).isEmpty();
            assertThat(client.queue).isEmpty();
        } finally {
            listener.close().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void autoPicksEpollWhenItLoadsAndNioOtherwise() throws Exception {
        try (Transport t = transport(TransportOptions.Kind.AUTO)) {
            assertThat(t.kind()).isIn("epoll", "nio");
            assertThat(t.kind()).isEqualTo(Epoll.isAvailable() ? "epoll" : "nio");
            exchange(t);
        }
    }

    @Test
    void nioWorks() throws Exception {
        try (Transport t = transport(TransportOptions.Kind.NIO)) {
            assertThat(t.kind()).isEqualTo("nio");
            exchange(t);
        }
    }

    @Test
    void epollWorksWhereItLoadsAndFailsClearlyWhereNot() throws Exception {
        if (Epoll.isAvailable()) {
            try (Transport t = transport(TransportOptions.Kind.EPOLL)) {
                assertThat(t.kind()).isEqualTo("epoll");
                exchange(t);
            }
        } else {
            assertThatThrownBy(() -> transport(TransportOptions.Kind.EPOLL)).isInstanceOf(UnsatisfiedLinkError.class);
        }
    }

    @Test
    void ioUringEitherWorksOrFailsWithAClearException() throws Exception {
        Transport t;
        try {
            t = transport(TransportOptions.Kind.IO_URING);
        } catch (Throwable failure) {
            assertThat(IoUring.isAvailable()).as("io_uring loads, yet the transport failed: %s", failure).isFalse();
            assertThat(failure).isInstanceOf(UnsatisfiedLinkError.class);
            assertThat(failure.getMessage()).as("the failure says why").isNotBlank();
            return;
        }
        try (t) {
            assertThat(IoUring.isAvailable()).isTrue();
            assertThat(t.kind()).isEqualTo("io_uring");
            exchange(t);
        }
    }

    @Test
    void theServerSideClosingReachesBothSides() throws Exception {
        try (Transport t = transport(TransportOptions.Kind.AUTO)) {
            Events server = new Events();
            CompletableFuture<Connection> accepted = new CompletableFuture<>();
            Listener listener = t.listen(new InetSocketAddress("127.0.0.1", 0), ProtocolLimits.DEFAULT, c -> {
                accepted.complete(c);
                return server;
            });
            Events client = new Events();
            Connection c = t.connect(new Endpoint("tcp", "127.0.0.1", listener.address().getPort()),
                    Duration.ofSeconds(10), conn -> client).get(30, TimeUnit.SECONDS);
            Connection s = accepted.get(30, TimeUnit.SECONDS);
            s.sendAndClose(new Frame.GoAway(503, 0, "bye"));
            assertThat(client.next()).isEqualTo(new Frame.GoAway(503, 0, "bye"));
            assertThat(client.next()).isEqualTo("closed");
            assertThat(server.next()).isEqualTo("closed");
            assertThat(c.isOpen()).isFalse();
            assertThat(s.isOpen()).isFalse();
            listener.close().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void connectingToAClosedPortFailsTheFuture() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        try (Transport t = transport(TransportOptions.Kind.AUTO)) {
            Events never = new Events();
            CompletableFuture<Connection> f = t.connect(new Endpoint("tcp", "127.0.0.1", port), Duration.ofSeconds(5),
                    c -> never);
            assertThat(f).failsWithin(Duration.ofSeconds(30));
            assertThat(never.queue).isEmpty();
        }
    }
}
