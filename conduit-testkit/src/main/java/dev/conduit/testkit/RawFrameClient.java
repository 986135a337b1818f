package dev.conduit.testkit;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.ProtocolLimits;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A bare TCP socket that speaks Conduit frames (docs/protocol.md), for talking to a server the way
 * a well-behaved client never would: frames out of order, wrong sequence numbers, raw bytes, silence.
 *
 * <pre>{@code
 * try (RawFrameClient c = RawFrameClient.open(server.address())) {   // HELLO sent, WELCOME read
 *     c.send(new Frame.Subscribe(1, "orders.>", null, true));
 *     assertThat(c.sync()).isEmpty();                                // nothing came back before the PONG
 * }
 * }</pre>
 *
 * <p>Every read is bounded: by the socket's read timeout (10 s unless {@link #readTimeout} sets
 * another; past it a read throws {@link java.net.SocketTimeoutException}), by a frame size (a length
 * prefix over the largest frame the protocol allows is an {@link IOException}, not an allocation),
 * and by a count of frames ({@link #readUntilClosed}, {@link #sync}). Blocking, and not thread-safe:
 * one test thread uses it.
 */
public final class RawFrameClient implements AutoCloseable {
    private static final int MAX_FRAMES = 100_000;
    private static final ProtocolLimits LIMITS =
            new ProtocolLimits(ProtocolLimits.MAX_PAYLOAD_BYTES_CAP, 1 << 20, 0xFFFF);

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final FrameCodec codec = new FrameCodec(LIMITS);
    private long nextToken = 1;

    /** Connects to {@code address} without a handshake: the first frame sent is the test's. */
    public RawFrameClient(InetSocketAddress address) throws IOException {
        this(address, null);
    }

    /**
     * Connects from {@code local} (another loopback address such as 127.0.0.2, to look like another
     * peer), or from any address if it is null, without a handshake.
     */
    public RawFrameClient(InetSocketAddress address, @Nullable InetAddress local) throws IOException {
        Objects.requireNonNull(address, "address");
        socket = local == null ? new Socket(address.getAddress(), address.getPort())
                : new Socket(address.getAddress(), address.getPort(), local, 0);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /**
     * Speaks frames over a socket already connected (a TLS socket with a client certificate, say),
     * without a handshake; closing this closes the socket.
     */
    public RawFrameClient(Socket connected) throws IOException {
        socket = Objects.requireNonNull(connected, "connected");
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /**
     * Connects and completes an anonymous handshake (protocol version 1, client name {@code raw}).
     *
     * @throws AssertionError if the server answers HELLO with anything but WELCOME
     */
    public static RawFrameClient open(InetSocketAddress address) throws IOException {
        RawFrameClient c = new RawFrameClient(address);
        try {
            c.send(Frame.Hello.anonymous(1, "raw"));
            Frame welcome = c.read();
            if (!(welcome instanceof Frame.Welcome)) {
                throw new AssertionError("expected WELCOME in answer to HELLO, got " + welcome);
            }
            return c;
        } catch (IOException | RuntimeException | AssertionError e) {
            c.close();
            throw e;
        }
    }

    /** Encodes the frames and writes them in one flush. */
    public void send(Frame... frames) throws IOException {
        for (Frame f : frames) {
            ByteBuffer b = FrameCodec.encode(f);
            out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
        }
        out.flush();
    }

    /** Writes bytes as they are: a frame cut short, a bad length prefix, garbage. */
    public void sendBytes(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /**
     * The next frame, or {@code null} once the server has closed (also inside a frame). Session
     * housekeeping is handled here and not returned: ACK frames are skipped, and heartbeat PINGs
     * (token 0) are answered with PONG.
     */
    public @Nullable Frame read() throws IOException {
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

    /**
     * The next frame of any kind, ACKs and heartbeat PINGs included, or {@code null} once the server
     * has closed (also inside a frame).
     *
     * @throws IOException if the length prefix is negative or over the largest frame the protocol
     *                     allows, or on a read timeout
     * @throws dev.conduit.protocol.ProtocolException if the frame does not decode
     */
    public @Nullable Frame readAny() throws IOException {
        int length;
        try {
            length = in.readInt();
        } catch (EOFException e) {
            return null;
        }
        if (length < 0 || length > LIMITS.maxFrameBytes()) {
            throw new IOException("the server sent a frame length of " + length + " bytes (at most "
                    + LIMITS.maxFrameBytes() + " allowed)");
        }
        byte[] frame = new byte[4 + length];
        ByteBuffer.wrap(frame).putInt(length);
        try {
            in.readFully(frame, 4, length);
        } catch (EOFException e) {
            return null; // cut off inside a frame: closed all the same
        }
        return codec.decode(ByteBuffer.wrap(frame));
    }

    /**
     * The next frame, as {@link #read}, which must exist.
     *
     * @throws AssertionError if the server closed instead
     */
    public Frame next() throws IOException {
        Frame f = read();
        if (f == null) {
            throw new AssertionError("the server closed the connection where a frame was expected");
        }
        return f;
    }

    /**
     * Every frame (as {@link #read} returns them) until the server closes; a connection reset after
     * the last frame counts as closed.
     *
     * @throws AssertionError if the server sends 100,000 frames without closing
     */
    public List<Frame> readUntilClosed() throws IOException {
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
     * Sends a PING and returns every frame (as {@link #read} returns them) that arrives before its
     * PONG. The server handles one connection's frames in order, so whatever an earlier frame caused
     * comes first.
     *
     * @throws AssertionError if the server closes first, or sends 100,000 frames before the PONG
     */
    public List<Frame> sync() throws IOException {
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
    public void readTimeout(Duration timeout) throws IOException {
        socket.setSoTimeout(Math.toIntExact(timeout.toMillis()));
    }

    /** Closes the socket; the server sees the connection drop (no GOAWAY). */
    @Override
    public void close() throws IOException {
        socket.close();
    }

    @Override
    public String toString() {
        return "RawFrameClient[" + socket.getLocalSocketAddress() + " -> " + socket.getRemoteSocketAddress() + "]";
    }
}
