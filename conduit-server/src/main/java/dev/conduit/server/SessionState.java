package dev.conduit.server;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.FrameCodec;
import dev.conduit.protocol.MessageBody;
import dev.conduit.protocol.ProtocolLimits;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Everything a session is, taken on the server that stops holding it and given to the server of
 * the cluster that resumes it (docs/cluster.md, "Sessions move between nodes"): who it is, both
 * directions' numbering, the sequenced frames the client has not acknowledged, and each
 * subscription with its credit and the messages it holds. The other server reads it back with the
 * same limits, so a frame that was valid here is valid there.
 *
 * <p>Wire form (big-endian; a string is an i32 length and UTF-8 bytes, -1 for none; a frame is as
 * on the Conduit wire, length prefix included):
 * <pre>
 * state := version:u8 (1) id:str inboxPrefix:str clientName:str principal:str
 *          lastReceived:i64 acknowledged:i64 frames:i32 frame*
 *          subscriptions:i32 subscription*
 * subscription := id:i32 pattern:str group:str flags:u8 (1 = disconnect when slow)
 *          windowMessages:i64 windowBytes:i64 sentMessages:i64 sentBytes:i64
 *          consumedMessages:i64 consumedBytes:i64 delivered:i64 limit:i64 dropped:i64
 *          held:i32 frame* (MESSAGE frames with sequence 0)
 * </pre>
 */
record SessionState(String id, String inboxPrefix, String clientName, String principal, long lastReceived,
                    long acknowledged, List<Frame> unacknowledged, List<Sub> subscriptions) {
    static final int VERSION = 1;

    /** One subscription as {@link ServerSubscription} holds it. */
    record Sub(int id, String pattern, @Nullable String group, boolean disconnectWhenSlow, long windowMessages,
               long windowBytes, long sentMessages, long sentBytes, long consumedMessages, long consumedBytes,
               long delivered, long limit, long dropped, List<MessageBody> held) {
    }

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        DataOutputStream out = new DataOutputStream(bytes);
        try {
            out.writeByte(VERSION);
            string(out, id);
            string(out, inboxPrefix);
            string(out, clientName);
            string(out, principal);
            out.writeLong(lastReceived);
            out.writeLong(acknowledged);
            out.writeInt(unacknowledged.size());
            for (Frame f : unacknowledged) {
                frame(out, f);
            }
            out.writeInt(subscriptions.size());
            for (Sub s : subscriptions) {
                out.writeInt(s.id());
                string(out, s.pattern());
                string(out, s.group());
                out.writeByte(s.disconnectWhenSlow() ? 1 : 0);
                for (long v : new long[] {s.windowMessages(), s.windowBytes(), s.sentMessages(), s.sentBytes(),
                        s.consumedMessages(), s.consumedBytes(), s.delivered(), s.limit(), s.dropped()}) {
                    out.writeLong(v);
                }
                out.writeInt(s.held().size());
                for (MessageBody b : s.held()) {
                    frame(out, new Frame.Message(0, s.id(), b));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    /**
     * Reads a state written by {@link #encode}, its frames checked against {@code limits}.
     *
     * @throws IllegalArgumentException if the bytes are not a state of this version
     */
    static SessionState decode(byte[] data, ProtocolLimits limits) {
        ByteBuffer in = ByteBuffer.wrap(data);
        FrameCodec codec = new FrameCodec(limits);
        try {
            int version = in.get() & 0xFF;
            if (version != VERSION) {
                throw new IllegalArgumentException("session state version " + version + ", expected " + VERSION);
            }
            String id = required(in);
            String inboxPrefix = required(in);
            String clientName = required(in);
            String principal = required(in);
            long lastReceived = in.getLong();
            long acknowledged = in.getLong();
            int frames = count(in);
            List<Frame> unacknowledged = new ArrayList<>(frames);
            for (int i = 0; i < frames; i++) {
                unacknowledged.add(frame(in, codec));
            }
            int subs = count(in);
            List<Sub> subscriptions = new ArrayList<>(subs);
            for (int i = 0; i < subs; i++) {
                int subId = in.getInt();
                String pattern = required(in);
                String group = string(in);
                boolean slow = (in.get() & 1) != 0;
                long[] v = new long[9];
                for (int k = 0; k < v.length; k++) {
                    v[k] = in.getLong();
                }
                int heldCount = count(in);
                List<MessageBody> held = new ArrayList<>(heldCount);
                for (int k = 0; k < heldCount; k++) {
                    if (!(frame(in, codec) instanceof Frame.Message m)) {
                        throw new IllegalArgumentException("a held message that is not a MESSAGE frame");
                    }
                    held.add(m.body());
                }
                subscriptions.add(new Sub(subId, pattern, group, slow, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7],
                        v[8], held));
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " bytes after the session state");
            }
            return new SessionState(id, inboxPrefix, clientName, principal, lastReceived, acknowledged, unacknowledged,
                    subscriptions);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("session state truncated", e);
        } catch (dev.conduit.protocol.ProtocolException e) {
            throw new IllegalArgumentException("session state holds a bad frame: " + e.getMessage(), e);
        }
    }

    private static void frame(DataOutputStream out, Frame f) throws IOException {
        ByteBuffer b = FrameCodec.encode(f);
        byte[] a = new byte[b.remaining()];
        b.get(a);
        out.write(a);
    }

    private static Frame frame(ByteBuffer in, FrameCodec codec) {
        Frame f = codec.decode(in);
        if (f == null) {
            throw new IllegalArgumentException("session state truncated in a frame");
        }
        return f;
    }

    private static int count(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("count " + n + " with " + in.remaining() + " bytes left");
        }
        return n;
    }

    private static void string(DataOutputStream out, @Nullable String s) throws IOException {
        if (s == null) {
            out.writeInt(-1);
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static @Nullable String string(ByteBuffer in) {
        int n = in.getInt();
        if (n == -1) {
            return null;
        }
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("length " + n + " with " + in.remaining() + " bytes left");
        }
        byte[] b = new byte[n];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static String required(ByteBuffer in) {
        String s = string(in);
        if (s == null) {
            throw new IllegalArgumentException("a required string is missing");
        }
        return s;
    }
}
