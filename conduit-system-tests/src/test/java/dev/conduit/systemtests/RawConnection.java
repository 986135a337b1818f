package dev.conduit.systemtests;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.ProtocolLimits;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;

/** A bare socket speaking frames, for tests that must send what a well-behaved client never would. */
final class RawConnection implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final FrameCodec codec = new FrameCodec(new ProtocolLimits(ProtocolLimits.MAX_PAYLOAD_BYTES_CAP, 1 << 20, 0xFFFF));

    RawConnection(InetSocketAddress address) throws IOException {
        socket = new Socket(address.getAddress(), address.getPort());
        socket.setSoTimeout(30_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** Connects and completes the handshake. */
    static RawConnection open(InetSocketAddress address) throws IOException {
        RawConnection c = new RawConnection(address);
        c.send(Frame.Hello.anonymous(1, "raw-test"));
        Frame welcome = c.read();
        if (!(welcome instanceof Frame.Welcome)) {
            throw new IOException("expected WELCOME, got " + welcome);
        }
        return c;
    }

    void send(Frame frame) throws IOException {
        ByteBuffer b = FrameCodec.encode(frame);
        out.write(b.array(), b.arrayOffset(), b.remaining());
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
            return null; // cut off inside a frame: closed all the same
        }
        return codec.decode(ByteBuffer.wrap(frame));
    }

    /** Reads until the server closes; returns the frames read. */
    java.util.List<Frame> readUntilClosed() throws IOException {
        java.util.List<Frame> frames = new java.util.ArrayList<>();
        try {
            for (Frame f = read(); f != null; f = read()) {
                frames.add(f);
            }
        } catch (java.net.SocketException e) {
            // connection reset after the server's last frame: closed all the same
        }
        return frames;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
