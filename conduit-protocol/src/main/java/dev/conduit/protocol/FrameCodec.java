package dev.conduit.protocol;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Encodes frames to bytes and decodes them back. The wire format is specified in {@code
 * docs/protocol.md}; the drawings below are the same as there (a test compares them), so that
 * whoever changes the codec sees the format it must keep. All integers are unsigned and big-endian.
 *
 * <p>Every frame starts with the same six bytes, and {@code length} counts the bytes after it:
 *
 * <pre>
 * frame head: the first six bytes of every frame
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          length (u32): the number of bytes after this field   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   type (u8)   |  flags (u8)   |  body: length - 2 bytes ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * <p>The decoder treats its input as hostile. It reads the length prefix first and throws {@link
 * FrameTooLargeException} if it exceeds {@link ProtocolLimits#maxFrameBytes()}, before reading or
 * allocating anything else; it returns {@code null} until the whole frame has arrived; every inner
 * length is checked against its own limit and against what is left of the frame before the field
 * is read. Each failure is a subclass of {@link ProtocolException} whose {@link
 * ProtocolException#code()} is the error to send back; no other exception escapes {@link
 * #decode(ByteBuffer)}. A failure after the length check leaves the buffer positioned after the bad
 * frame, so the stream stays in sync and the caller decides by the code whether the connection
 * survives.
 *
 * <p>Strings are {@code str16} (UTF-8, rejected if malformed) and byte strings {@code bytes16}:
 *
 * <pre>
 * str16 and bytes16
 * +-----+---------------------------------+
 * | n   | n bytes (UTF-8 text in a str16) |
 * | u16 |                                 |
 * +-----+---------------------------------+
 * </pre>
 *
 * <p>The bodies, after the six-byte head, one per frame type. The first line of each names the type
 * byte, who sends the frame, and its flags; undefined flag bits must be 0.
 *
 * <pre>
 * HELLO 0x01, client to server, flags: none
 * +-------------+--------------+-------------+-------------+
 * | min version | max version  | client name | auth scheme |
 * | u16         | u16          | str16       | str16       |
 * +-------------+--------------+-------------+-------------+
 * | credentials | resume token | resume last received      |
 * | bytes16     | bytes16      | u64                       |
 * +-------------+--------------+---------------------------+
 *
 * WELCOME 0x02, server to client, flags: 0x01 RESUMED, 0x02 EXPIRES, 0x04 ALTERNATES
 * +-------------+------------+-------------+--------------+------------------+
 * | version     | server id  | session id  | epoch        | last received    |
 * | u16         | str16      | str16       | u64          | u64              |
 * +-------------+------------+-------------+--------------+------------------+
 * | max payload | max header | max subject | heartbeat ms | heartbeat misses |
 * | u32         | u32        | u16         | u32          | u16              |
 * +-------------+------------+-------------+--------------+------------------+
 * | resume token | inbox prefix |
 * | bytes16      | str16        |
 * +--------------+--------------+
 * | only with EXPIRES: credentials valid ms |
 * | u64                                     |
 * +-----------------------------------------+
 * | only with ALTERNATES: count, then each    |
 * | endpoint URL: u16 (1..64), str16 x count  |
 * +-------------------------------------------+
 *
 * PUBLISH 0x03, client to server, flags: 0x01 REQUEST
 * +----------+-------------------------------------+
 * | sequence | message body                        |
 * | u64      | subject, reply to, headers, payload |
 * +----------+-------------------------------------+
 *
 * MESSAGE 0x04, server to client, flags: none
 * +----------+-----------------+-------------------------------------+
 * | sequence | subscription id | message body                        |
 * | u64      | u32             | subject, reply to, headers, payload |
 * +----------+-----------------+-------------------------------------+
 *
 * SUBSCRIBE 0x05, client to server, flags: 0x01 DISCONNECT_WHEN_SLOW, 0x02 CREDIT
 * +-----------------+---------+----------------------------+
 * | subscription id | pattern | queue group (empty = none) |
 * | u32             | str16   | str16                      |
 * +-----------------+---------+----------------------------+
 * | only with CREDIT: credit messages | credit bytes       |
 * | u32 (> 0)                         | u32 (> 0)          |
 * +-----------------------------------+--------------------+
 *
 * UNSUBSCRIBE 0x06, client to server, flags: none
 * +-----------------+----------------------------------------+
 * | subscription id | after messages (0 = now, else a total) |
 * | u32             | u32                                    |
 * +-----------------+----------------------------------------+
 *
 * NO_RESPONDERS 0x07, server to client, flags: none
 * +---------------+
 * | reply subject |
 * | str16         |
 * +---------------+
 *
 * PING 0x08 and PONG 0x09, either direction, flags: none
 * +-------+
 * | token |
 * | u64   |
 * +-------+
 *
 * ERROR 0x0A, either direction, flags: 0x01 FATAL
 * +------+---------+
 * | code | message |
 * | u16  | str16   |
 * +------+---------+
 *
 * GOAWAY 0x0B, either direction, flags: 0x01 ALTERNATES
 * +------+--------------+--------+-------------------------------------------+
 * | code | drain millis | reason | only with ALTERNATES: count, then each    |
 * | u16  | u32          | str16  | endpoint URL: u16 (1..64), str16 x count  |
 * +------+--------------+--------+-------------------------------------------+
 *
 * ACK 0x0C, either direction, flags: none
 * +----------+
 * | sequence |
 * | u64      |
 * +----------+
 *
 * GAP 0x0D, server to client, flags: 0x01 ENDED
 * +-----------------+---------+
 * | subscription id | dropped |
 * | u32             | u64     |
 * +-----------------+---------+
 *
 * AUTH 0x0E, client to server, flags: none
 * +-------------+-------------+
 * | auth scheme | credentials |
 * | str16       | bytes16     |
 * +-------------+-------------+
 *
 * AUTH_OK 0x0F, server to client, flags: none
 * +--------------------------------------+
 * | credentials valid ms (0 = no expiry) |
 * | u64                                  |
 * +--------------------------------------+
 *
 * CREDIT 0x10, client to server, flags: none
 * +-----------------+-------------------+----------------+
 * | subscription id | consumed messages | consumed bytes |
 * | u32             | u64               | u64            |
 * +-----------------+-------------------+----------------+
 * </pre>
 *
 * <p>PUBLISH and MESSAGE end with the same message body, so that a server fanning one publish out
 * to many subscribers encodes the body once ({@link MessageBody#encoded()}) and writes only each
 * subscriber's MESSAGE head before it ({@link #encodeMessageHead}):
 *
 * <pre>
 * message body: the end of every PUBLISH and MESSAGE
 * +---------+-------------------------+---------------------+--------------+
 * | subject | reply to (empty = none) | header block length | header block |
 * | str16   | str16                   | u32                 | see below    |
 * +---------+-------------------------+---------------------+--------------+
 * | payload length                    | payload                            |
 * | u32                               | payload length bytes               |
 * +-----------------------------------+------------------------------------+
 *
 * header block: absent when its length is 0
 * +-------+--------+---------+-----+-----------+------------+
 * | count | name 1 | value 1 | ... | last name | last value |
 * | u16   | str16  | str16   |     | str16     | str16      |
 * +-------+--------+---------+-----+-----------+------------+
 * </pre>
 *
 * <p>This file is long because every frame's layout is drawn above, next to the code that encodes
 * and decodes it: one place to read the wire format in code, checked against docs/protocol.md by
 * the golden tests.
 *
 * <p>Encoding needs no instance because limits are enforced by whoever builds the frame, and is
 * thread-safe. Decoding keeps a small cache of the message subjects it has checked, so that a
 * stream of messages on a few subjects does not decode and check each one again, and a scratch array
 * that a subject the cache does not hold (a reply subject: a new one per request) is copied into
 * before it becomes a String, so that it is not copied into an array of its own first: an instance
 * therefore decodes on one thread at a time (the transport has one per connection, used on its I/O
 * thread).
 *
 * <p>Past 600 lines because it carries, next to each frame's encoder and decoder, the drawing of its
 * format that docs/protocol.md has (a test compares them): splitting the frames apart would scatter
 * the one place to read the wire format in code.
 */
public final class FrameCodec {
    /** Bytes of the length prefix. */
    public static final int LENGTH_FIELD_BYTES = 4;
    /** Bytes of the length prefix, type and flags. */
    public static final int HEAD_BYTES = 6;
    /** Bytes of a MESSAGE frame before its body: head, sequence and subscription id. */
    public static final int MESSAGE_HEAD_BYTES = HEAD_BYTES + 8 + 4;

    /** PUBLISH: the sender wants a NO_RESPONDERS frame if nothing matches. */
    public static final int FLAG_REQUEST = 0x01;
    /** ERROR: the sender closes the connection after this frame. */
    public static final int FLAG_FATAL = 0x01;
    /** WELCOME: the session named in HELLO was resumed. */
    public static final int FLAG_RESUMED = 0x01;
    /** WELCOME: the client's credentials expire; how long they are valid follows the last field. */
    public static final int FLAG_EXPIRES = 0x02;
    /** SUBSCRIBE: end the session rather than drop this subscription's messages when it is too slow. */
    public static final int FLAG_DISCONNECT_WHEN_SLOW = 0x01;
    /** SUBSCRIBE: a reliable subscription; its credit (messages, bytes) follows the queue group. */
    public static final int FLAG_CREDIT = 0x02;
    /** GAP: the server ended the subscription; no MESSAGE for it follows. */
    public static final int FLAG_ENDED = 0x01;
    /** GOAWAY: a list of alternate endpoints follows the reason. */
    public static final int FLAG_ALTERNATES = 0x01;
    /** WELCOME: a list of alternate endpoints (the cluster's other nodes) follows the last field. */
    public static final int FLAG_WELCOME_ALTERNATES = 0x04;
    /**
     * The most endpoint URLs a WELCOME or GOAWAY may name: a decoder allocates no more than this
     * many, and a client's list of endpoints stays small.
     */
    public static final int MAX_ALTERNATES = 64;

    private final ProtocolLimits limits;
    private final int maxFrameBytes;
    /** Subjects recently decoded and checked against {@link #limits}; see {@link #cachedSubject}. */
    private final SubjectCache subjectCache = new SubjectCache();
    /**
     * What {@link #copyOut} copies a subject's bytes into, to be decoded from; grown to the longest
     * subject decoded (at most {@code maxSubjectBytes}). Used by the decoding thread only.
     */
    private byte[] scratch = new byte[0];

    public FrameCodec(ProtocolLimits limits) {
        this.limits = limits;
        this.maxFrameBytes = limits.maxFrameBytes();
    }

    public ProtocolLimits limits() {
        return limits;
    }

    /**
     * The total size of the frame that starts at the buffer's position (length prefix included),
     * or -1 if fewer than 4 bytes are readable. Does not move the position.
     *
     * @throws FrameTooLargeException   if the prefix exceeds the maximum frame size
     * @throws MalformedFrameException  if the prefix is too small to hold type and flags
     */
    public int frameSize(ByteBuffer in) {
        if (in.remaining() < LENGTH_FIELD_BYTES) {
            return -1;
        }
        long length = Integer.toUnsignedLong(in.getInt(in.position()));
        if (length > maxFrameBytes) {
            throw new FrameTooLargeException(length, maxFrameBytes);
        }
        if (length < 2) {
            throw new MalformedFrameException("frame length " + length + " is too short for type and flags");
        }
        return (int) length + LENGTH_FIELD_BYTES;
    }

    /**
     * Decodes one frame at the buffer's position and moves the position past it, or returns {@code
     * null} and leaves the position alone if the buffer does not yet hold the whole frame.
     *
     * @throws ProtocolException if the bytes are not a valid frame within the limits
     */
    public @Nullable Frame decode(ByteBuffer in) {
        int size = frameSize(in);
        if (size < 0 || in.remaining() < size) {
            return null;
        }
        int start = in.position();
        int end = start + size;
        int typeCode = in.get(start + 4) & 0xFF;
        int flags = in.get(start + 5) & 0xFF;
        FrameType type = FrameType.of(typeCode);
        if (type == null) {
            in.position(end);
            throw new UnknownFrameTypeException(typeCode);
        }
        // The body is read in place, with the limit moved to the frame's end, rather than through a
        // slice: one buffer object less per frame. Fields read absolute indexes from the position.
        boolean inPlace = in.order() == ByteOrder.BIG_ENDIAN;
        ByteBuffer frame = inPlace ? in : in.slice(start + HEAD_BYTES, size - HEAD_BYTES);
        int limit = in.limit();
        if (inPlace) {
            in.limit(end).position(start + HEAD_BYTES);
        } else {
            in.position(end);
        }
        try {
            Frame f = decodeBody(type, flags, frame);
            if (frame.hasRemaining()) {
                throw new MalformedFrameException(type + " frame has " + frame.remaining() + " bytes after its last field");
            }
            return f;
        } catch (BufferUnderflowException e) {
            throw new MalformedFrameException(type + " frame ends before its last field");
        } catch (InvalidSubjectException e) {
            throw e.in(type); // the receiver may go on after it, and must know what it skipped
        } finally {
            if (inPlace) {
                in.limit(limit).position(end);
            }
        }
    }

    private Frame decodeBody(FrameType type, int flags, ByteBuffer in) {
        return switch (type) {
            case HELLO -> {
                noFlags(type, flags);
                yield new Frame.Hello(u16(in), u16(in), string(in, "client name"), string(in, "auth scheme"),
                        bytes(in, "credentials"), bytes(in, "resume token"), in.getLong());
            }
            case WELCOME -> {
                allowFlags(type, flags, FLAG_RESUMED | FLAG_EXPIRES | FLAG_WELCOME_ALTERNATES);
                int version = u16(in);
                String serverId = string(in, "server id");
                String sessionId = string(in, "session id");
                long epoch = in.getLong();
                long lastReceived = in.getLong();
                int maxPayload = in.getInt();
                int maxHeader = in.getInt();
                int maxSubject = u16(in);
                int heartbeat = in.getInt();
                int misses = u16(in);
                byte[] token = bytes(in, "resume token");
                ResumeToken resumeToken = token.length == 0 ? null : ResumeToken.decode(token);
                String inboxPrefix = string(in, "inbox prefix");
                try {
                    new ProtocolLimits(maxPayload, maxHeader, maxSubject);
                } catch (IllegalArgumentException e) {
                    throw new MalformedFrameException("WELCOME announces impossible limits: " + e.getMessage());
                }
                if (heartbeat < 0) {
                    throw new MalformedFrameException("WELCOME announces a negative heartbeat interval: " + heartbeat);
                }
                long validMillis = 0;
                if ((flags & FLAG_EXPIRES) != 0) {
                    validMillis = in.getLong();
                    if (validMillis <= 0) {
                        throw new MalformedFrameException("WELCOME with EXPIRES must announce a positive validity: "
                                + validMillis);
                    }
                }
                List<String> alternates = (flags & FLAG_WELCOME_ALTERNATES) != 0 ? alternates(type, in) : List.of();
                yield new Frame.Welcome(version, serverId, sessionId, epoch, (flags & FLAG_RESUMED) != 0,
                        lastReceived, maxPayload, maxHeader, maxSubject, heartbeat, misses, resumeToken, inboxPrefix,
                        validMillis, alternates);
            }
            case PUBLISH -> {
                allowFlags(type, flags, FLAG_REQUEST);
                long seq = in.getLong();
                yield new Frame.Publish(seq, (flags & FLAG_REQUEST) != 0, body(in, true));
            }
            case MESSAGE -> {
                noFlags(type, flags);
                long seq = in.getLong();
                int sid = in.getInt();
                yield new Frame.Message(seq, sid, body(in, false));
            }
            case SUBSCRIBE -> {
                allowFlags(type, flags, FLAG_DISCONNECT_WHEN_SLOW | FLAG_CREDIT);
                if (flags == (FLAG_DISCONNECT_WHEN_SLOW | FLAG_CREDIT)) {
                    throw new MalformedFrameException("SUBSCRIBE cannot be both DISCONNECT_WHEN_SLOW and CREDIT");
                }
                int sid = in.getInt();
                String pattern = Subjects.checkPattern(subject(in, "pattern"), limits.maxSubjectBytes());
                String group = subject(in, "queue group");
                long creditMessages = 0;
                long creditBytes = 0;
                if ((flags & FLAG_CREDIT) != 0) {
                    creditMessages = Integer.toUnsignedLong(in.getInt());
                    creditBytes = Integer.toUnsignedLong(in.getInt());
                    if (creditMessages == 0 || creditBytes == 0) {
                        throw new MalformedFrameException("SUBSCRIBE with CREDIT needs credit > 0: " + creditMessages
                                + " messages, " + creditBytes + " bytes");
                    }
                }
                yield new Frame.Subscribe(sid, pattern,
                        group.isEmpty() ? null : Subjects.checkQueueGroup(group, limits.maxSubjectBytes()),
                        (flags & FLAG_DISCONNECT_WHEN_SLOW) != 0, creditMessages, creditBytes);
            }
            case UNSUBSCRIBE -> {
                noFlags(type, flags);
                yield new Frame.Unsubscribe(in.getInt(), Integer.toUnsignedLong(in.getInt()));
            }
            case NO_RESPONDERS -> {
                noFlags(type, flags);
                yield new Frame.NoResponders(Subjects.checkSubject(subject(in, "reply subject"), limits.maxSubjectBytes()));
            }
            case PING -> {
                noFlags(type, flags);
                yield new Frame.Ping(in.getLong());
            }
            case PONG -> {
                noFlags(type, flags);
                yield new Frame.Pong(in.getLong());
            }
            case ERROR -> {
                allowFlags(type, flags, FLAG_FATAL);
                yield new Frame.Error(u16(in), (flags & FLAG_FATAL) != 0, string(in, "error message"));
            }
            case GOAWAY -> {
                allowFlags(type, flags, FLAG_ALTERNATES);
                int code = u16(in);
                int drain = in.getInt();
                if (drain < 0) {
                    throw new MalformedFrameException("GOAWAY drain time is negative: " + drain);
                }
                String reason = string(in, "goaway reason");
                List<String> alternates = (flags & FLAG_ALTERNATES) != 0 ? alternates(type, in) : List.of();
                yield new Frame.GoAway(code, drain, reason, alternates);
            }
            case ACK -> {
                noFlags(type, flags);
                yield new Frame.Ack(in.getLong());
            }
            case GAP -> {
                allowFlags(type, flags, FLAG_ENDED);
                boolean ended = (flags & FLAG_ENDED) != 0;
                int sid = in.getInt();
                long dropped = in.getLong();
                if (dropped < (ended ? 0 : 1)) {
                    throw new MalformedFrameException("GAP must report " + (ended ? "a count of" : "at least one")
                            + " dropped message" + (ended ? "s" : "") + ": " + dropped);
                }
                yield new Frame.Gap(sid, dropped, ended);
            }
            case CREDIT -> {
                noFlags(type, flags);
                int sid = in.getInt();
                long messages = in.getLong();
                long bytes = in.getLong();
                if (messages < 0 || bytes < 0) {
                    throw new MalformedFrameException("CREDIT totals must be below 2^63: " + Long.toUnsignedString(messages)
                            + " messages, " + Long.toUnsignedString(bytes) + " bytes");
                }
                yield new Frame.Credit(sid, messages, bytes);
            }
            case AUTH -> {
                noFlags(type, flags);
                yield new Frame.Auth(string(in, "auth scheme"), bytes(in, "credentials"));
            }
            case AUTH_OK -> {
                noFlags(type, flags);
                long valid = in.getLong();
                if (valid < 0) {
                    throw new MalformedFrameException("AUTH_OK announces a negative validity: " + valid);
                }
                yield new Frame.AuthOk(valid);
            }
        };
    }

    /**
     * The list of endpoint URLs of a WELCOME or GOAWAY whose ALTERNATES flag is set: a count from 1
     * to {@link #MAX_ALTERNATES}, then each URL as a str16. The flag says the list is there, so an
     * empty one is malformed.
     */
    private static List<String> alternates(FrameType type, ByteBuffer in) {
        int count = u16(in);
        if (count == 0 || count > MAX_ALTERNATES) {
            throw new MalformedFrameException(type + " names " + count + " alternates; with ALTERNATES it names 1 to "
                    + MAX_ALTERNATES);
        }
        // Each entry takes at least its 2-byte length, so a count the frame cannot hold fails here.
        if (count * 2L > in.remaining()) {
            throw new MalformedFrameException(type + " names " + count + " alternates but has " + in.remaining()
                    + " bytes left");
        }
        String[] list = new String[count];
        for (int i = 0; i < count; i++) {
            list[i] = string(in, "alternate endpoint");
        }
        return List.of(list);
    }

    /**
     * A frame's list of alternates, copied, for the records' constructors.
     *
     * @throws IllegalArgumentException if it names more than {@link #MAX_ALTERNATES}
     */
    static List<String> checkAlternates(List<String> alternates) {
        List<String> copy = List.copyOf(alternates);
        if (copy.size() > MAX_ALTERNATES) {
            throw new IllegalArgumentException("at most " + MAX_ALTERNATES + " alternates: " + copy.size());
        }
        return copy;
    }

    /**
     * The message body that ends a PUBLISH or MESSAGE frame. With {@code keepWire} (PUBLISH, which a
     * server passes on as it came), the body's bytes are kept as one array, checked as always, and
     * the payload is left in it: the server then writes those bytes to each subscriber without
     * encoding the body again.
     */
    private MessageBody body(ByteBuffer in, boolean keepWire) {
        int bodyStart = in.position();
        String subject = cachedSubject(in);
        String reply = subject(in, "reply subject");
        if (!reply.isEmpty()) {
            Subjects.checkSubject(reply, limits.maxSubjectBytes());
        }
        Headers headers = headers(in);
        long payloadLength = Integer.toUnsignedLong(in.getInt());
        if (payloadLength > limits.maxPayloadBytes()) {
            throw new PayloadTooLargeException(payloadLength, limits.maxPayloadBytes());
        }
        within(in, payloadLength, "payload");
        if (keepWire) {
            int bodyEnd = in.position() + (int) payloadLength;
            byte[] wire = new byte[bodyEnd - bodyStart];
            in.get(bodyStart, wire);
            in.position(bodyEnd);
            return MessageBody.decoded(subject, reply, headers, wire, (int) payloadLength);
        }
        byte[] payload = new byte[(int) payloadLength];
        in.get(payload);
        // The subject's UTF-8 length is on the wire (checked valid when decoded): not measured again.
        return MessageBody.received(subject, in.getShort(bodyStart) & 0xFFFF, reply, headers, payload);
    }

    private Headers headers(ByteBuffer in) {
        long blockLength = Integer.toUnsignedLong(in.getInt());
        if (blockLength == 0) {
            return Headers.EMPTY;
        }
        if (blockLength > limits.maxHeaderBytes()) {
            throw new HeadersTooLargeException("header block of " + blockLength + " bytes exceeds the maximum of "
                    + limits.maxHeaderBytes() + " bytes");
        }
        within(in, blockLength, "header block");
        ByteBuffer block = in.slice(in.position(), (int) blockLength);
        in.position(in.position() + (int) blockLength);
        try {
            int count = u16(block);
            if (count == 0) {
                throw new MalformedFrameException("a non-empty header block must hold at least one header");
            }
            // Each header takes at least 4 bytes, so count is bounded by the block before we allocate.
            if ((long) count * 4 > block.remaining()) {
                throw new MalformedFrameException("header count " + count + " overruns the header block");
            }
            String[] pairs = new String[count * 2];
            for (int i = 0; i < count; i++) {
                String name = string(block, "header name");
                Headers.checkName(name);
                String value = string(block, "header value");
                Headers.checkValue(name, value);
                pairs[2 * i] = name;
                pairs[2 * i + 1] = value;
            }
            if (block.hasRemaining()) {
                throw new MalformedFrameException("header block has " + block.remaining() + " bytes after its last header");
            }
            return Headers.fromDecoded(pairs);
        } catch (BufferUnderflowException e) {
            throw new MalformedFrameException("header block ends inside a header");
        }
    }

    /**
     * The subject of a message body, checked like any ({@link Subjects#checkSubject}); a subject
     * whose bytes equal those of one recently decoded and checked by this codec is not decoded or
     * checked again: the earlier String is returned ({@link SubjectCache}).
     */
    private String cachedSubject(ByteBuffer in) {
        int len = u16(in);
        int max = limits.maxSubjectBytes();
        if (len > max) {
            throw new InvalidSubjectException("subject of " + len + " bytes is longer than " + max + " bytes");
        }
        within(in, len, "subject");
        int pos = in.position();
        int slot = subjectCache.slotOf(in, pos, len);
        String cached = subjectCache.get(slot, in, pos, len);
        if (cached != null) {
            in.position(pos + len);
            return cached;
        }
        String subject = Subjects.checkSubject(Utf8.read(copyOut(in, len), len, "subject"), max);
        subjectCache.put(slot, subject);
        return subject;
    }

    private String subject(ByteBuffer in, String field) {
        int len = u16(in);
        if (len > limits.maxSubjectBytes()) {
            throw new InvalidSubjectException(field + " of " + len + " bytes is longer than " + limits.maxSubjectBytes() + " bytes");
        }
        if (len == 0) {
            return ""; // no reply subject, in most messages
        }
        within(in, len, field);
        return Utf8.read(copyOut(in, len), len, field);
    }

    /**
     * The {@code len} bytes at the buffer's position, which has them, in the first {@code len} of
     * {@link #scratch}, with one bulk read; moves the position past them. The caller checked {@code
     * len} against {@code maxSubjectBytes}, which bounds the array. (Hashing and comparing the bytes
     * for the subject cache stays on the buffer: a bulk copy first measured slower for a 17-byte
     * subject, docs/benchmarks.md "W1/W4 decode paths".)
     */
    private byte[] copyOut(ByteBuffer in, int len) {
        byte[] bytes = scratch;
        if (bytes.length < len) {
            bytes = new byte[Math.max(len, Math.min(64, limits.maxSubjectBytes()))];
            scratch = bytes;
        }
        int pos = in.position();
        in.get(pos, bytes, 0, len);
        in.position(pos + len);
        return bytes;
    }

    private static String string(ByteBuffer in, String field) {
        return stringOfLength(in, u16(in), field);
    }

    private static String stringOfLength(ByteBuffer in, int len, String field) {
        within(in, len, field);
        return Utf8.read(in, len, field);
    }

    /** Refuses a field whose length prefix, {@code len}, runs past the end of the frame. */
    private static void within(ByteBuffer in, long len, String field) {
        if (len > in.remaining()) {
            throw new MalformedFrameException(field + " length " + len + " overruns the frame (" + in.remaining()
                    + " bytes left)");
        }
    }

    private static byte[] bytes(ByteBuffer in, String field) {
        int len = u16(in);
        within(in, len, field);
        byte[] b = new byte[len];
        in.get(b);
        return b;
    }

    private static int u16(ByteBuffer in) {
        return in.getShort() & 0xFFFF;
    }

    private static void noFlags(FrameType type, int flags) {
        allowFlags(type, flags, 0);
    }

    private static void allowFlags(FrameType type, int flags, int allowed) {
        if ((flags & ~allowed) != 0) {
            throw new MalformedFrameException(String.format("%s frame has undefined flag bits 0x%02x", type, flags & ~allowed));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Encoding

    /** Total bytes the frame takes on the wire, length prefix included. */
    public static int encodedLength(Frame frame) {
        // The two frames of every message first, ahead of the pattern switch over all types: this
        // runs several times per message (queue and replay accounting on both sides).
        if (frame instanceof Frame.Message m) {
            return MESSAGE_HEAD_BYTES + m.body().encodedLength();
        }
        if (frame instanceof Frame.Publish p) {
            return HEAD_BYTES + 8 + p.body().encodedLength();
        }
        return HEAD_BYTES + bodyLength(frame);
    }

    /** Encodes a frame into a new buffer, flipped for reading. */
    public static ByteBuffer encode(Frame frame) {
        ByteBuffer out = ByteBuffer.allocate(encodedLength(frame));
        encode(frame, out);
        return out.flip();
    }

    /**
     * Writes the frame at the buffer's position, which must have {@link #encodedLength(Frame)} bytes
     * of room.
     *
     * @throws IllegalArgumentException if a string field is longer than 65535 bytes
     */
    public static void encode(Frame frame, ByteBuffer out) {
        int bodyLength = bodyLength(frame);
        out.putInt(bodyLength + 2);
        out.put((byte) frame.type().code());
        switch (frame) {
            case Frame.Hello h -> {
                out.put((byte) 0);
                out.putShort((short) h.minVersion()).putShort((short) h.maxVersion());
                putString(out, h.clientName());
                putString(out, h.authScheme());
                putBytes(out, h.credentials());
                putBytes(out, h.resumeToken());
                out.putLong(h.resumeLastReceived());
            }
            case Frame.Welcome w -> {
                out.put((byte) ((w.resumed() ? FLAG_RESUMED : 0) | (w.credentialsValidMillis() > 0 ? FLAG_EXPIRES : 0)
                        | (w.alternates().isEmpty() ? 0 : FLAG_WELCOME_ALTERNATES)));
                out.putShort((short) w.version());
                putString(out, w.serverId());
                putString(out, w.sessionId());
                out.putLong(w.epoch()).putLong(w.lastReceived());
                out.putInt(w.maxPayloadBytes()).putInt(w.maxHeaderBytes()).putShort((short) w.maxSubjectBytes());
                out.putInt(w.heartbeatIntervalMillis()).putShort((short) w.heartbeatMisses());
                putBytes(out, w.resumeToken() == null ? new byte[0] : w.resumeToken().encoded());
                putString(out, w.inboxPrefix());
                if (w.credentialsValidMillis() > 0) {
                    out.putLong(w.credentialsValidMillis());
                }
                putAlternates(out, w.alternates());
            }
            case Frame.Publish p -> {
                out.put((byte) (p.request() ? FLAG_REQUEST : 0));
                out.putLong(p.sequence());
                p.body().writeTo(out);
            }
            case Frame.Message m -> {
                out.put((byte) 0);
                out.putLong(m.sequence()).putInt(m.subscriptionId());
                m.body().writeTo(out);
            }
            case Frame.Subscribe s -> {
                out.put((byte) ((s.disconnectWhenSlow() ? FLAG_DISCONNECT_WHEN_SLOW : 0)
                        | (s.reliable() ? FLAG_CREDIT : 0)));
                out.putInt(s.subscriptionId());
                putString(out, s.pattern());
                putString(out, s.queueGroup() == null ? "" : s.queueGroup());
                if (s.reliable()) {
                    out.putInt((int) s.creditMessages()).putInt((int) s.creditBytes());
                }
            }
            case Frame.Unsubscribe u -> {
                out.put((byte) 0);
                out.putInt(u.subscriptionId()).putInt((int) u.afterMessages());
            }
            case Frame.NoResponders n -> {
                out.put((byte) 0);
                putString(out, n.replySubject());
            }
            case Frame.Ping p -> out.put((byte) 0).putLong(p.token());
            case Frame.Pong p -> out.put((byte) 0).putLong(p.token());
            case Frame.Error e -> {
                out.put((byte) (e.fatal() ? FLAG_FATAL : 0));
                out.putShort((short) e.code());
                putString(out, e.message());
            }
            case Frame.GoAway g -> {
                out.put((byte) (g.alternates().isEmpty() ? 0 : FLAG_ALTERNATES));
                out.putShort((short) g.code()).putInt(g.drainMillis());
                putString(out, g.reason());
                putAlternates(out, g.alternates());
            }
            case Frame.Ack a -> out.put((byte) 0).putLong(a.sequence());
            case Frame.Gap g -> out.put((byte) (g.ended() ? FLAG_ENDED : 0)).putInt(g.subscriptionId()).putLong(g.dropped());
            case Frame.Credit c -> out.put((byte) 0).putInt(c.subscriptionId()).putLong(c.consumedMessages())
                    .putLong(c.consumedBytes());
            case Frame.Auth a -> {
                out.put((byte) 0);
                putString(out, a.authScheme());
                putBytes(out, a.credentials());
            }
            case Frame.AuthOk a -> out.put((byte) 0).putLong(a.credentialsValidMillis());
        }
    }

    /**
     * Writes the head of a MESSAGE frame whose body will follow as {@code body.encoded()}: the way a
     * server writes one publish to many subscribers while encoding its body only once.
     */
    public static void encodeMessageHead(ByteBuffer out, long sequence, int subscriptionId, MessageBody body) {
        out.putInt(MESSAGE_HEAD_BYTES - LENGTH_FIELD_BYTES + body.encodedLength());
        out.put((byte) FrameType.MESSAGE.code()).put((byte) 0);
        out.putLong(sequence).putInt(subscriptionId);
    }

    private static int bodyLength(Frame frame) {
        return switch (frame) {
            case Frame.Hello h -> 4 + str(h.clientName()) + str(h.authScheme()) + bytes(h.credentials())
                    + bytes(h.resumeToken()) + 8;
            case Frame.Welcome w -> 2 + str(w.serverId()) + str(w.sessionId()) + 8 + 8 + 4 + 4 + 2 + 4 + 2
                    + (w.resumeToken() == null ? 2 : bytes(w.resumeToken().encoded())) + str(w.inboxPrefix())
                    + (w.credentialsValidMillis() > 0 ? 8 : 0) + alternatesLength(w.alternates());
            case Frame.Publish p -> 8 + p.body().encodedLength();
            case Frame.Message m -> 8 + 4 + m.body().encodedLength();
            case Frame.Subscribe s -> 4 + str(s.pattern()) + str(s.queueGroup() == null ? "" : s.queueGroup())
                    + (s.reliable() ? 8 : 0);
            case Frame.Unsubscribe u -> 8;
            case Frame.NoResponders n -> str(n.replySubject());
            case Frame.Ping p -> 8;
            case Frame.Pong p -> 8;
            case Frame.Error e -> 2 + str(e.message());
            case Frame.GoAway g -> 2 + 4 + str(g.reason()) + alternatesLength(g.alternates());
            case Frame.Ack a -> 8;
            case Frame.Gap g -> 4 + 8;
            case Frame.Credit c -> 4 + 8 + 8;
            case Frame.Auth a -> str(a.authScheme()) + bytes(a.credentials());
            case Frame.AuthOk a -> 8;
        };
    }

    /** Bytes of a list of alternates on the wire: none when it is empty (no flag), else the count and each URL. */
    private static int alternatesLength(List<String> alternates) {
        return alternates.isEmpty() ? 0 : 2 + alternates.stream().mapToInt(FrameCodec::str).sum();
    }

    private static void putAlternates(ByteBuffer out, List<String> alternates) {
        if (!alternates.isEmpty()) {
            out.putShort((short) alternates.size());
            for (String a : alternates) {
                putString(out, a);
            }
        }
    }

    private static int str(String s) {
        int len = Utf8.length(s);
        if (len > 0xFFFF) {
            throw new IllegalArgumentException("string of " + len + " bytes does not fit a 16-bit length: '"
                    + s.substring(0, 40) + "...'");
        }
        return 2 + len;
    }

    private static int bytes(byte[] b) {
        if (b.length > 0xFFFF) {
            throw new IllegalArgumentException("byte string of " + b.length + " bytes does not fit a 16-bit length");
        }
        return 2 + b.length;
    }

    static void putString(ByteBuffer out, String s) {
        int lengthAt = out.position();
        out.putShort((short) 0);
        Utf8.write(s, out);
        out.putShort(lengthAt, (short) (out.position() - lengthAt - 2));
    }

    private static void putBytes(ByteBuffer out, byte[] b) {
        out.putShort((short) b.length).put(b);
    }
}
