package dev.conduit.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.ProtocolException;
import dev.conduit.protocol.ProtocolLimits;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Unix domain socket listeners and connections, for each socket implementation that loads here. */
class UnixSocketTest {
    @TempDir
    Path dir;

    private static final class Events implements FrameHandler {
        final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();

        @Override
        public void onFrame(Frame frame) {
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
        if (kind == TransportOptions.Kind.EPOLL) {
            Assumptions.assumeTrue(Epoll.isAvailable(), "epoll loads here");
        }
        if (kind == TransportOptions.Kind.IO_URING) {
            Assumptions.assumeTrue(IoUring.isAvailable(), "io_uring loads here");
        }
        return Transport.create(TransportOptions.builder().ioThreads(1).kind(kind).daemon(true).build());
    }

    @ParameterizedTest
    @EnumSource(value = TransportOptions.Kind.class, names = {"EPOLL", "NIO", "IO_URING"})
    void framesTravelBothWaysAndTheFileGoesOnClose(TransportOptions.Kind kind) throws Exception {
        Path file = dir.resolve("c.sock");
        try (Transport t = transport(kind)) {
            Events server = new Events();
            CompletableFuture<Connection> accepted = new CompletableFuture<>();
            Listener listener = t.listenUnix(UnixSocket.at(file).withMode("600"), ProtocolLimits.DEFAULT, c -> {
                accepted.complete(c);
                return server;
            });
            assertThat(listener.address()).isNull();
            assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
            Events client = new Events();
            Connection c = t.connect(Endpoint.parse("unix://" + file), Duration.ofSeconds(10), x -> client)
                    .get(30, TimeUnit.SECONDS);
            Connection s = accepted.get(30, TimeUnit.SECONDS);
            assertThat(c.transportName()).isEqualTo("unix");
            assertThat(s.transportName()).isEqualTo("unix");
            assertThat(s.remoteHost()).as("no IP address: not counted per address").isNull();
            for (int i = 0; i < 100; i++) {
                c.send(new Frame.Ping(i));
                s.send(new Frame.Pong(i));
            }
            for (int i = 0; i < 100; i++) {
                assertThat(server.next()).isEqualTo(new Frame.Ping(i));
                assertThat(client.next()).isEqualTo(new Frame.Pong(i));
            }
            c.close();
            assertThat(server.next()).isEqualTo("closed");
            listener.close().get(30, TimeUnit.SECONDS);
            assertThat(file).doesNotExist();
        }
    }

    @Test
    void aStaleSocketFileIsReplaced() throws Exception {
        Path file = dir.resolve("stale.sock");
        // A socket file nothing accepts on any more, as a process that died leaves it.
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(file));
        }
        assertThat(file).exists();
        try (Transport t = transport(TransportOptions.Kind.AUTO)) {
            Listener listener = t.listenUnix(UnixSocket.at(file), ProtocolLimits.DEFAULT, c -> new Events());
            Events client = new Events();
            Connection c = t.connect(Endpoint.unix(file.toString()), Duration.ofSeconds(10), x -> client)
                    .get(30, TimeUnit.SECONDS);
            assertThat(c.isOpen()).isTrue();
            c.close();
            listener.close().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aSocketInUseOrAFileThatIsNoSocketIsLeftAlone() throws Exception {
        Path file = dir.resolve("busy.sock");
        Path plain = dir.resolve("plain.txt");
        Files.writeString(plain, "keep me");
        try (Transport t = transport(TransportOptions.Kind.AUTO)) {
            Listener first = t.listenUnix(UnixSocket.at(file), ProtocolLimits.DEFAULT, c -> new Events());
            try {
                assertThatThrownBy(() -> t.listenUnix(UnixSocket.at(file), ProtocolLimits.DEFAULT, c -> new Events()))
                        .isInstanceOf(UncheckedIOException.class)
                        .hasMessageContaining(file.toString()).hasMessageContaining("another process");
                assertThat(file).exists();
            } finally {
                first.close().get(30, TimeUnit.SECONDS);
            }
            assertThatThrownBy(() -> t.listenUnix(UnixSocket.at(plain), ProtocolLimits.DEFAULT, c -> new Events()))
                    .isInstanceOf(UncheckedIOException.class).hasMessageContaining("not a socket");
            assertThat(plain).hasContent("keep me");
        }
    }

    @Test
    void anUnknownOwnerFailsTheBindAndLeavesNoFile() {
        Path file = dir.resolve("owner.sock");
        try (Transport t = transport(TransportOptions.Kind.AUTO)) {
            assertThatThrownBy(() -> t.listenUnix(UnixSocket.at(file).withOwner("no-such-user-x9", null),
                    ProtocolLimits.DEFAULT, c -> new Events()))
                    .isInstanceOf(UncheckedIOException.class).hasMessageContaining("owner.sock");
            assertThat(file).doesNotExist();
        }
    }

    @Test
    void modesAreOctal() {
        assertThat(UnixSocket.parseMode("0660")).isEqualTo(PosixFilePermissions.fromString("rw-rw----"));
        assertThat(UnixSocket.parseMode("755")).isEqualTo(PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThatThrownBy(() -> UnixSocket.parseMode("4755")).hasMessageContaining("4755");
        assertThatThrownBy(() -> UnixSocket.parseMode("rw")).hasMessageContaining("octal");
    }

    @Test
    void unixEndpointsParseAndPrint() {
        Endpoint e = Endpoint.parse("unix:///run/conduit/c.sock");
        assertThat(e.unix()).isTrue();
        assertThat(e.path()).isEqualTo("/run/conduit/c.sock");
        assertThat(e.secure()).isFalse();
        assertThat(e.toString()).isEqualTo("unix:///run/conduit/c.sock");
        assertThat(Endpoint.parse("unix://rel.sock").path()).isEqualTo("rel.sock");
        assertThatThrownBy(() -> Endpoint.parse("unix://")).hasMessageContaining("unix://");
        assertThatThrownBy(() -> new Endpoint("unix", "h", 1, "/x")).hasMessageContaining("no host or port");
    }
}
