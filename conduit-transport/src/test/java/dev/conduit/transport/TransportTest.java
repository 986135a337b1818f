package dev.conduit.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.protocol.ProtocolLimits;
import io.netty.channel.epoll.Epoll;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Real sockets on 127.0.0.1, in-memory pairs, and endpoint parsing. */
class TransportTest {

    /** Records frames and closes, for one side of a connection. */
    private static final class Recorder implements FrameHandler {
        final BlockingQueue<Object> events = new LinkedBlockingQueue<>();

        @Override
        public void onFrame(Frame frame) {
            events.add(frame);
        }

        @Override
        public void onProtocolError(ProtocolException error, boolean inSync) {
            events.add(error);
        }

        @Override
        public void onClosed(Throwable cause) {
            events.add("closed");
        }

        Object next() throws InterruptedException {
            Object e = events.poll(30, TimeUnit.SECONDS);
            assertThat(e).as("an event within 30 s").isNotNull();
            return e;
        }
    }

    private static void roundTrip(TransportOptions.Kind kind) throws Exception {
        try (Transport transport = Transport.create(TransportOptions.builder().ioThreads(1).kind(kind).daemon(true).build())) {
            Recorder server = new Recorder();
            Listener listener = transport.listen(new InetSocketAddress("127.0.0.1", 0), ProtocolLimits.DEFAULT, c -> {
                server.events.add(c);
                return server;
            });
            Recorder client = new Recorder();
            Endpoint endpoint = new Endpoint("tcp", "127.0.0.1", listener.address().getPort());
            Connection c = transport.connect(endpoint, Duration.ofSeconds(10), conn -> client).get(30, TimeUnit.SECONDS);
            Connection accepted = (Connection) server.next();
            c.send(new Frame.Ping(1));
            assertThat(server.next()).isEqualTo(new Frame.Ping(1));
            accepted.send(new Frame.Pong(1));
            assertThat(client.next()).isEqualTo(new Frame.Pong(1));
            c.close();
            assertThat(server.next()).isEqualTo("closed");
            assertThat(client.next()).isEqualTo("closed");
            listener.close().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void framesCrossARealSocketWithTheDefaultTransport() throws Exception {
        try (Transport t = Transport.create(TransportOptions.builder().ioThreads(1).daemon(true).build())) {
            assertThat(t.kind()).isEqualTo(Epoll.isAvailable() ? "epoll" : "nio");
        }
        roundTrip(TransportOptions.Kind.AUTO);
    }

    @Test
    void framesCrossARealSocketWithNio() throws Exception {
        roundTrip(TransportOptions.Kind.NIO);
    }

    @Test
    void ioUringEitherWorksOrSaysWhyNot() throws Exception {
        if (io.netty.channel.uring.IoUring.isAvailable()) {
            roundTrip(TransportOptions.Kind.IO_URING);
        } else {
            assertThatThrownBy(() -> Transport.create(TransportOptions.builder().kind(TransportOptions.Kind.IO_URING).build()))
                    .isInstanceOf(UnsatisfiedLinkError.class);
        }
    }

    @Test
    void connectingWhereNothingListensFails() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (Transport t = Transport.create(TransportOptions.builder().ioThreads(1).daemon(true).build())) {
            assertThat(t.connect(new Endpoint("tcp", "127.0.0.1", port), Duration.ofSeconds(5), c -> new Recorder()))
                    .failsWithin(Duration.ofSeconds(30));
        }
    }

    @Test
    void inMemoryPairsCarryTheSameObjectsBothWaysAndCloseBothSidesOnce() throws Exception {
        Recorder server = new Recorder();
        Connection[] serverSide = new Connection[1];
        InMemoryConnector connector = InMemoryConnector.create(c -> {
            serverSide[0] = c;
            return server;
        }, Executors.newVirtualThreadPerTaskExecutor());
        Recorder client = new Recorder();
        Connection c = connector.connect(null, Duration.ofSeconds(1), conn -> client).get();
        Frame.Ping ping = new Frame.Ping(4);
        c.send(ping);
        assertThat(server.next()).isSameAs(ping);
        serverSide[0].send(new Frame.Pong(4));
        assertThat(client.next()).isEqualTo(new Frame.Pong(4));
        serverSide[0].close();
        assertThat(server.next()).isEqualTo("closed");
        assertThat(client.next()).isEqualTo("closed");
        assertThat(c.send(ping)).isFalse();
        c.close();
        assertThat(server.events.poll(100, TimeUnit.MILLISECONDS)).isNull();
        assertThat(client.events.poll(100, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void endpointsParse() {
        assertThat(Endpoint.parse("tcp://example.com:7000")).isEqualTo(new Endpoint("tcp", "example.com", 7000));
        assertThat(Endpoint.parse("localhost:7001")).isEqualTo(new Endpoint("tcp", "localhost", 7001));
        assertThat(Endpoint.parse("tcp://10.0.0.1").port()).isEqualTo(Endpoint.DEFAULT_PORT);
        assertThat(Endpoint.parse("tcp://[::1]:7440")).isEqualTo(new Endpoint("tcp", "::1", 7440));
        assertThat(Endpoint.parse("tcp://[::1]:7440").toString()).isEqualTo("tcp://[::1]:7440");
        assertThatThrownBy(() -> Endpoint.parse("http://x:1")).hasMessageContaining("http://x:1").hasMessageContaining("http");
        assertThatThrownBy(() -> Endpoint.parse("tcp://x:0")).hasMessageContaining("tcp://x:0");
        assertThatThrownBy(() -> Endpoint.parse("tcp://x:1/path")).hasMessageContaining("/path");
        assertThatThrownBy(() -> Endpoint.parse("tcp://")).hasMessageContaining("tcp://");
    }
}
