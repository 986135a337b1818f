package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.ProtocolLimits;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A bare socket that speaks frames, for talking to a server the way a well-behaved client never
 * would. Every read is bounded by the socket timeout.
 */
final class RawFrameClient implements AutoCloseable {
    private static final int MAX_FRAMES = 100_000;

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final FrameCodec codec = new FrameCodec(new ProtocolLimits(ProtocolLimits.MAX_PAYLOAD_BYTES_CAP, 1 << 20, 0xFFFF));
    private long nextToken = 1;

    RawFrameClient(InetSocketAddress address) throws IOException {
        this(address, null);
    }

    /** Connects from {@code local} (another loopback address such as 127.0.0.2), or any if null. */
    RawFrameClient(InetSocketAddress address, java.net.InetAddress local) throws IOException {
        socket = local == null ? new Socket(address.getAddress(), address.getPort())
                : new Socket(address.getAddress(), address.getPort(), local, 0);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Connects and completes the handshake. */
    static RawFrameClient open(Server server) throws IOException {
        RawFrameClient c = new RawFrameClient(server.address());
        c.send(Frame.Hello.anonymous(1, "raw"));
        assertThat(c.read()).isInstanceOf(Frame.Welcome.class);
        return c;
    }

    void send(Frame... frames) throws IOException {
        for (Frame f : frames) {
            ByteBuffer b = FrameCodec.encode(f);
            out.write(b.array(), b.arrayOffset(), b.remaining());
        }
        out.flush();
    }

    void sendBytes(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /**
     * The next frame, or {@code null} once the server has closed (also inside a frame). Session
     * housekeeping is handled here and not returned: ACK frames are skipped, and heartbeat PINGs
     * (token 0) are answered.
     */
    Frame read() throws IOException {
        while (true) {
            Frame f = readAny();
            if (f instanceof Frame.Ack) {
                continue;
            }
            if (f instanceof Frame.Ping p && p.token() == 0) {
                send(new Frame.Pong(0));
                continue;
            }
            return f;
        }
    }

    /** The next frame of any kind, or {@code null} once the server has closed. */
    Frame readAny() throws IOException {
        int length;
        try {
            length = in.readInt();
        } catch (EOFException e) {
            return null;
        }
        byte[] frame = new byte[4 + length];
        ByteBuffer.wrap(frame).putInt(length);
        try {
            in.readFully(frame, 4, length);
        } catch (EOFException e) {
            return null;
        }
        return codec.decode(ByteBuffer.wrap(frame));
    }

    /** The next frame, which must exist. */
    Frame next() throws IOException {
        Frame f = read();
        assertThat(f).as("a frame before the server closed").isNotNull();
        return f;
    }

    /** Every frame until the server closes. */
    List<Frame> readUntilClosed() throws IOException {
        List<Frame> frames = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_FRAMES; i++) {
                Frame f = read();
                if (f == null) {
                    return frames;
                }
                frames.add(f);
            }
        } catch (SocketException e) {
            return frames; // reset after the last frame: closed all the same
        }
        throw new AssertionError("the server did not close after " + MAX_FRAMES + " frames");
    }

    /**
     * Sends a PING and returns every frame that arrives before its PONG. The server handles one
     * connection's frames in order, so whatever an earlier frame caused comes first.
     */
    List<Frame> sync() throws IOException {
        long token = nextToken++;
        send(new Frame.Ping(token));
        List<Frame> before = new ArrayList<>();
        for (int i = 0; i < MAX_FRAMES; i++) {
            Frame f = next();
            if (f.equals(new Frame.Pong(token))) {
                return before;
            }
            before.add(f);
        }
        throw new AssertionError("no PONG within " + MAX_FRAMES + " frames");
    }

    /** How long a read waits before it throws {@link java.net.SocketTimeoutException}; 10 s unless set. */
    void readTimeout(java.time.Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
