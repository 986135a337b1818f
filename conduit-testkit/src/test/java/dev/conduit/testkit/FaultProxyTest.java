package dev.conduit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.conduit.testkit.FaultProxy.Direction;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The proxy between plain blocking sockets: a client here and a {@link PlainServer} as target. */
class FaultProxyTest {
    /** Upper bound on any single blocking read, so that a broken proxy fails a test instead of hanging it. */
    private static final int READ_TIMEOUT_MILLIS = 10_000;

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeResources() throws Exception {
        for (AutoCloseable r : resources.reversed()) {
            r.close();
        }
    }

    private <T extends AutoCloseable> T closing(T resource) {
        resources.add(resource);
        return resource;
    }

    private Socket connect(FaultProxy proxy) throws IOException {
        Socket s = closing(new Socket(InetAddress.getLoopbackAddress(), proxy.port()));
        s.setSoTimeout(READ_TIMEOUT_MILLIS);
        s.setTcpNoDelay(true);
        return s;
    }

    @Test
    void listensOnLoopbackAndNamesItsEndpoint() throws IOException {
        PlainServer echo = closing(PlainServer.echo());
        FaultProxy proxy = closing(FaultProxy.start(echo.address()));

        assertThat(proxy.address().getAddress().isLoopbackAddress()).isTrue();
        assertThat(proxy.port()).isPositive().isNotEqualTo(echo.address().getPort());
        assertThat(proxy.endpoint()).isEqualTo("tcp://127.0.0.1:" + proxy.port());
        assertThat(proxy.target()).isEqualTo(echo.address());
    }

    @Test
    void forwardsBytesBothWaysUnchanged() throws Exception {
        PlainServer echo = closing(PlainServer.echo());
        FaultProxy proxy = closing(FaultProxy.start(echo.address()));
        Socket socket = connect(proxy);
        byte[] data = randomBytes(8 << 20);

        CompletableFuture<Void> writing = writeInBackground(socket, data);
        byte[] back = readExactly(socket.getInputStream(), data.length);
        writing.get(READ_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);

        assertThat(back).isEqualTo(data);
        assertThat(proxy.bytesForwarded(Direction.TO_TARGET)).isEqualTo(data.length);
        assertThat(proxy.bytesForwarded(Direction.FROM_TARGET)).isEqualTo(data.length);
        assertThat(proxy.connectionCount()).isEqualTo(1);
        assertThat(proxy.acceptedCount()).isEqualTo(1);
        assertThat(echo.acceptedCount()).isEqualTo(1);
    }

    @Test
    void cutAllResetsBothSidesAndKeepsAccepting() throws Exception {
        PlainServer echo = closing(PlainServer.echo());
        FaultProxy proxy = closing(FaultProxy.start(echo.address()));
        Socket client = connect(proxy);
        roundTrip(client, "hello");
        PlainServer.Peer server = echo.nextPeer();

        proxy.cutAll();

        assertThatThrownBy(() -> client.getInputStream().read())
                .isInstanceOf(SocketException.class).hasMessageContaining("reset");
        assertThatThrownBy(() -> server.ended.get(READ_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS))
                .isInstanceOf(ExecutionException.class).cause()
                .isInstanceOf(SocketException.class).hasMessageContaining("reset");
        assertThat(proxy.cutCount()).isEqualTo(1);
        assertThat(proxy.connectionCount()).isZero();

        Socket again = connect(proxy);
        roundTrip(again, "still there");
        assertThat(proxy.connectionCount()).isEqualTo(1);
        assertThat(proxy.cutCount()).isEqualTo(1);
    }

    @Test
    void cutAfterBytesToTargetDeliversExactlyThatManyThenResets() throws Exception {
        PlainServer sink = closing(PlainServer.sink());
        FaultProxy proxy = closing(FaultProxy.start(sink.address()));
        proxy.cutAfterBytes(Direction.TO_TARGET, 1000);
        Socket client = connect(proxy);

        OutputStream out = client.getOutputStream();
        out.write(randomBytes(999));
        out.flush();
        PlainServer.Peer server = sink.nextPeer();
        await().until(() -> server.received.get() == 999);
        assertThat(proxy.cutCount()).isZero();

        out.write(randomBytes(5000));
        out.flush();

        assertThat(endOf(server)).isEqualTo("reset after 1000 bytes");
        assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(SocketException.class);
        assertThat(proxy.cutCount()).isEqualTo(1);
        assertThat(proxy.bytesForwarded(Direction.TO_TARGET)).isEqualTo(1000);
    }

    @Test
    void cutAfterBytesFromTargetDeliversExactlyThatManyToTheClient() throws Exception {
        byte[] greeting = randomBytes(10_000);
        PlainServer talker = closing(PlainServer.talker(greeting));
        FaultProxy proxy = closing(FaultProxy.start(talker.address()));
        proxy.cutAfterBytes(Direction.FROM_TARGET, 777);
        Socket client = connect(proxy);

        InputStream in = client.getInputStream();
        byte[] got = readExactly(in, 777);
        assertThat(got).isEqualTo(Arrays.copyOf(greeting, 777));
        assertThatThrownBy(in::read).isInstanceOf(SocketException.class).hasMessageContaining("reset");
        assertThat(proxy.bytesForwarded(Direction.FROM_TARGET)).isEqualTo(777);
    }

    @Test
    void cutAfterBytesCountsEitherDirectionFromTheCallForOpenConnections() throws Exception {
        PlainServer sink = closing(PlainServer.sink());
        FaultProxy proxy = closing(FaultProxy.start(sink.address()));
        Socket client = connect(proxy);
        OutputStream out = client.getOutputStream();
        out.write(randomBytes(4000));
        out.flush();
        PlainServer.Peer server = sink.nextPeer();
        await().until(() -> server.received.get() == 4000);

        proxy.cutAfterBytes(10);
        out.write(randomBytes(100));
        out.flush();

        assertThat(endOf(server)).isEqualTo("reset after 4010 bytes");
        assertThat(proxy.cutCount()).isEqualTo(1);
    }

    @Test
    void cutAfterZeroBytesCutsNewConnectionsAtOnceUntilCleared() throws Exception {
        PlainServer echo = closing(PlainServer.echo());
        FaultProxy proxy = closing(FaultProxy.start(echo.address()));
        proxy.cutAfterBytes(0);

        Socket first = connect(proxy);
        assertThatThrownBy(() -> first.getInputStream().read()).isInstanceOf(SocketException.class);
        assertThat(proxy.cutCount()).isEqualTo(1);

        proxy.clearFaults();
        roundTrip(connect(proxy), "after clearing");
        assertThat(proxy.cutCount()).isEqualTo(1);
    }

    @Test
    void blackHoleForwardsNothingWhileOnAndDeliversWhatItHeldOnceLifted() throws Exception {
        PlainServer echo = closing(PlainServer.echo());
        FaultProxy proxy = closing(FaultProxy.start(echo.address()));
        Socket client = connect(proxy);
        roundTrip(client, "before");
        PlainServer.Peer server = echo.nextPeer();
        long toTarget = proxy.bytesForwarded(Direction.TO_TARGET);

        proxy.blackHole(true);
        client.getOutputStream().write("held".getBytes(StandardCharsets.US_ASCII));
        client.getOutputStream().flush();
        Socket newcomer = connect(proxy); // accepted, but silent too
        newcomer.getOutputStream().write('x');
        newcomer.getOutputStream().flush();

        // Silence can only be observed over some time: half a second of it, on an open connection.
        client.setSoTimeout(500);
        assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        assertThat(server.received.get()).isEqualTo("before".length());
        assertThat(proxy.bytesForwarded(Direction.TO_TARGET)).isEqualTo(toTarget);
        assertThat(server.ended).isNotDone();
        assertThat(proxy.connectionCount()).isEqualTo(2);

        proxy.blackHole(false);
        client.setSoTimeout(READ_TIMEOUT_MILLIS);
        assertThat(new String(readExactly(client.getInputStream(), 4), StandardCharsets.US_ASCII)).isEqualTo("held");
        assertThat(readExactly(newcomer.getInputStream(), 1)).containsExactly('x');
        roundTrip(client, "after");
    }

    @Test
    void blackHoleDoesNotPassOnACloseUntilLifted() throws Exception {
        PlainServer echo = closing(PlainServer.echo());
        FaultProxy proxy = closing(FaultProxy.start(echo.address()));
        Socket client = connect(proxy);
        roundTrip(client, "before");
        PlainServer.Peer server = echo.nextPeer();

        proxy.blackHole(true);
        server.socket.close();
        client.setSoTimeout(500);
        assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        assertThat(proxy.connectionCount()).isEqualTo(1);

        proxy.blackHole(false);
        client.setSoTimeout(READ_TIMEOUT_MILLIS);
        assertThat(client.getInputStream().read()).as("end of stream, once the hole is lifted").isEqualTo(-1);
        await().until(() -> proxy.connectionCount() == 0);
    }

    @Test
    void refuseResetsNewConnectionsWithoutContactingTheTarget() throws Exception {
        PlainServer echo = closing(PlainServer.echo());
        FaultProxy proxy = closing(FaultProxy.start(echo.address()));
        Socket before = connect(proxy);
        roundTrip(before, "one");

        proxy.refuse(true);
        Socket refused = connect(proxy);
        assertThatThrownBy(() -> refused.getInputStream().read()).isInstanceOf(SocketException.class);
        roundTrip(before, "open connections are not touched");
        assertThat(proxy.refusedCount()).isEqualTo(1);

        proxy.refuse(false);
        roundTrip(connect(proxy), "two");
        assertThat(echo.acceptedCount()).isEqualTo(2);
        assertThat(proxy.acceptedCount()).isEqualTo(3);
        assertThat(proxy.connectionCount()).isEqualTo(2);
    }

    @Test
    void throttleLimitsTheBytesDeliveredOverTime() throws Exception {
        long rate = 100_000;
        long slice = rate / Pipe.SLICES_PER_SECOND;
        PlainServer echo = closing(PlainServer.echo());
        FaultProxy proxy = closing(FaultProxy.start(echo.address()));
        proxy.throttle(rate);
        Socket socket = connect(proxy);
        byte[] data = randomBytes((int) rate);

        long start = System.nanoTime();
        CompletableFuture<Void> writing = writeInBackground(socket, data);
        InputStream in = socket.getInputStream();
        byte[] back = new byte[data.length];
        int received = 0;
        while (received < data.length) {
            int n = in.read(back, received, back.length - received);
            assertThat(n).isPositive();
            received += n;
            // Bytes that came back by now cannot exceed what the rate allows since the first was sent.
            long elapsedNanos = System.nanoTime() - start;
            long allowed = slice + rate * elapsedNanos / 1_000_000_000L;
            assertThat((long) received).as("bytes back after %d ms", elapsedNanos / 1_000_000).isLessThanOrEqualTo(allowed);
        }
        writing.get(READ_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        assertThat(back).isEqualTo(data);

        proxy.throttle(0);
        byte[] more = randomBytes(1 << 20);
        writing = writeInBackground(socket, more);
        assertThat(readExactly(in, more.length)).isEqualTo(more);
        writing.get(READ_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Test
    void delayHoldsEachChunkInEachDirection() throws Exception {
        Duration latency = Duration.ofMillis(150);
        PlainServer echo = closing(PlainServer.echo());
        FaultProxy proxy = closing(FaultProxy.start(echo.address()));
        Socket socket = connect(proxy);
        roundTrip(socket, "warm");

        proxy.delay(latency);
        long start = System.nanoTime();
        roundTrip(socket, "slow");
        long elapsed = System.nanoTime() - start;

        assertThat(Duration.ofNanos(elapsed)).isGreaterThanOrEqualTo(latency.multipliedBy(2));
    }

    @Test
    void anUnreachableTargetResetsTheClient() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        FaultProxy proxy = closing(FaultProxy.start(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), closedPort)));

        Socket client = connect(proxy);
        assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(SocketException.class);
        await().until(() -> proxy.connectionCount() == 0);
        assertThat(proxy.cutCount()).isZero();
    }

    @Test
    void closeStopsListeningAndResetsConnections() throws Exception {
        PlainServer echo = closing(PlainServer.echo());
        FaultProxy proxy = FaultProxy.start(echo.address());
        Socket client = connect(proxy);
        roundTrip(client, "hi");
        int port = proxy.port();

        proxy.close();
        proxy.close();

        assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(SocketException.class);
        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close())
                .isInstanceOf(ConnectException.class);
        await().until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("conduit-fault-proxy")));
    }

    @Test
    void rejectsNegativeSettings() throws IOException {
        PlainServer echo = closing(PlainServer.echo());
        FaultProxy proxy = closing(FaultProxy.start(echo.address()));

        assertThatThrownBy(() -> proxy.cutAfterBytes(-1)).hasMessage("bytes must be >= 0: -1");
        assertThatThrownBy(() -> proxy.throttle(-5)).hasMessage("bytesPerSecond must be >= 0: -5");
        assertThatThrownBy(() -> proxy.delay(Duration.ofMillis(-1))).hasMessageContaining("latency must be >= 0");
    }

    /** How the server's side of the connection ended, and after how many bytes. */
    private static String endOf(PlainServer.Peer peer) throws Exception {
        try {
            long n = peer.ended.get(READ_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            return "end of stream after " + n + " bytes";
        } catch (ExecutionException e) {
            String how = e.getCause() instanceof SocketException s && String.valueOf(s.getMessage()).contains("reset")
                    ? "reset" : String.valueOf(e.getCause());
            return how + " after " + peer.received.get() + " bytes";
        }
    }

    private static void roundTrip(Socket socket, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        assertThat(new String(readExactly(socket.getInputStream(), bytes.length), StandardCharsets.UTF_8)).isEqualTo(text);
    }

    private static CompletableFuture<Void> writeInBackground(Socket socket, byte[] data) {
        return CompletableFuture.runAsync(() -> {
            try {
                OutputStream out = socket.getOutputStream();
                for (int i = 0; i < data.length; i += 64 * 1024) {
                    out.write(data, i, Math.min(64 * 1024, data.length - i));
                }
                out.flush();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private static byte[] readExactly(InputStream in, int length) throws IOException {
        byte[] bytes = in.readNBytes(length);
        assertThat(bytes).as("bytes before the end of the stream").hasSize(length);
        return bytes;
    }

    private static byte[] randomBytes(int length) {
        byte[] b = new byte[length];
        new Random(length).nextBytes(b);
        return b;
    }
}
