package dev.conduit.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.protocol.ErrorCode;
import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.ProtocolLimits;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The raw frame connection against a bare server socket that this test plays, frame by frame. */
class RawFrameClientTest {
    private ServerSocket listener;

    @BeforeEach
    void listen() throws IOException {
        listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        listener.setSoTimeout(10_000);
    }

    @AfterEach
    void close() throws IOException {
        listener.close();
    }

    private InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
    }

    private static void write(Socket s, Frame... frames) throws IOException {
        OutputStream out = s.getOutputStream();
        for (Frame f : frames) {
            ByteBuffer b = FrameCodec.encode(f);
            out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
        }
        out.flush();
    }

    private static Frame readFrame(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        int length = in.readInt();
        byte[] frame = new byte[4 + length];
        ByteBuffer.wrap(frame).putInt(length);
        in.readFully(frame, 4, length);
        return new FrameCodec(ProtocolLimits.DEFAULT).decode(ByteBuffer.wrap(frame));
    }

    @Test
    void readSkipsAcksAndAnswersHeartbeatPingsButReadAnyReturnsThem() throws Exception {
        try (RawFrameClient client = new RawFrameClient(address()); Socket server = listener.accept()) {
            server.setSoTimeout(10_000);
            write(server, new Frame.Ack(3), new Frame.Ping(0), new Frame.Pong(9));
            assertThat(client.read()).isEqualTo(new Frame.Pong(9));
            assertThat(readFrame(server)).as("the heartbeat PING answered").isEqualTo(new Frame.Pong(0));

            write(server, new Frame.Ack(4), new Frame.Ping(0));
            assertThat(client.readAny()).isEqualTo(new Frame.Ack(4));
            assertThat(client.readAny()).isEqualTo(new Frame.Ping(0));
        }
    }

    @Test
    void syncReturnsWhatCameBeforeItsPongAndReadUntilClosedTheRest() throws Exception {
        try (RawFrameClient client = new RawFrameClient(address()); Socket server = listener.accept()) {
            server.setSoTimeout(10_000);
            client.send(new Frame.Ping(77)); // a token sync() will not use
            assertThat(readFrame(server)).isEqualTo(new Frame.Ping(77));
            write(server, new Frame.Error(ErrorCode.PERMISSION_DENIED.code(), false, "no"));
            // The client's PING carries its first token, 1: answer it after one more frame.
            Thread answer = Thread.ofVirtual().start(() -> {
                try {
                    Frame ping = readFrame(server);
                    write(server, new Frame.Pong(5), new Frame.Pong(((Frame.Ping) ping).token()), new Frame.Pong(6));
                    server.shutdownOutput();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(client.sync()).containsExactly(new Frame.Error(ErrorCode.PERMISSION_DENIED.code(), false, "no"),
                    new Frame.Pong(5));
            answer.join();
            assertThat(client.readUntilClosed()).containsExactly(new Frame.Pong(6));
            assertThat(client.read()).isNull();
            assertThatThrownBy(client::next).isInstanceOf(AssertionError.class).hasMessageContaining("closed");
        }
    }

    @Test
    void aLengthOverTheLargestFrameIsAnErrorNotAnAllocation() throws Exception {
        try (RawFrameClient client = new RawFrameClient(address()); Socket server = listener.accept()) {
            server.getOutputStream().write(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xf0});
            server.getOutputStream().flush();
            assertThatThrownBy(client::readAny).isInstanceOf(IOException.class).hasMessageContaining("frame length");
        }
    }

    @Test
    void openSaysHelloAndFailsUnlessWelcomed() throws Exception {
        java.util.concurrent.atomic.AtomicReference<Frame> hello = new java.util.concurrent.atomic.AtomicReference<>();
        Thread refuse = Thread.ofVirtual().start(() -> {
            try (Socket server = listener.accept()) {
                server.setSoTimeout(10_000);
                hello.set(readFrame(server));
                write(server, new Frame.Error(ErrorCode.AUTHENTICATION_FAILED.code(), true, "who are you"));
                server.shutdownOutput();
                readFrame(server); // nothing more comes: EOF once the client gives up
            } catch (IOException expected) {
                // the client closed
            }
        });
        assertThatThrownBy(() -> RawFrameClient.open(address())).isInstanceOf(AssertionError.class)
                .hasMessageContaining("expected WELCOME").hasMessageContaining("who are you");
        refuse.join();
        assertThat(hello.get()).isInstanceOfSatisfying(Frame.Hello.class, h -> assertThat(h.clientName()).isEqualTo("raw"));
    }
}
