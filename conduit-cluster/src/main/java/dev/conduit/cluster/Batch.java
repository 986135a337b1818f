package dev.conduit.cluster;

import dev.conduit.protocol.Headers;
import dev.conduit.protocol.MessageBody;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The {@code b} field of an inbound stream entry: the records one node sends another in one entry,
 * in order. Big-endian; a string is a 4-byte length and UTF-8 bytes, length -1 for none.
 *
 * <pre>
 * batch   := version:u8 (1) count:i32 record*
 * record  := kind:u8 (1 = message) flags:u8 (1 = request, 2 = sole) subject:str replyTo:str
 *              headers:i32 (name:str value:str)* groups:i32 group:str* payload:i32 byte*
 *          | kind:u8 (2 = no responders) replySubject:str
 *          | kind:u8 (3 = control) op:u8 args:i32 arg:str* data:i32 byte*
 *          | kind:u8 (4 = lost) subject:str (-1 = subjects unknown) count:i64
 * </pre>
 *
 * A record's {@code groups} are the queue groups the receiving node delivers it to (the publishing
 * node picked it for them); {@code sole} marks a request sent to that node alone, which answers
 * with a no-responders record if nothing there matches. A lost record says that the sending node
 * could not forward {@code count} messages on {@code subject} to the receiving node (its queue for
 * it was at its bound); the receiving node reports them to its subscribers with GAP.
 */
final class Batch {
    static final int VERSION = 1;
    static final int MESSAGE = 1;
    static final int NO_RESPONDERS = 2;
    /** A step of a session move between nodes ({@link Control}, docs/cluster.md). */
    static final int CONTROL = 3;
    static final int LOST = 4;
    static final int FLAG_REQUEST = 1;
    static final int FLAG_SOLE = 2;

    /**
     * One record.
     *
     * @param body   the message, or for a no-responders record a body whose subject is the reply
     *               subject, or for a lost record one whose subject is the lost messages' (empty:
     *               unknown)
     * @param count   for a lost record, how many messages were lost; 0 otherwise
     * @param control for a control record, its step; null otherwise
     */
    record Item(int kind, MessageBody body, boolean request, boolean sole, Set<String> groups, long count,
                @Nullable Control control) {
        Item(int kind, MessageBody body, boolean request, boolean sole, Set<String> groups) {
            this(kind, body, request, sole, groups, 0, null);
        }

        static Item noResponders(String replySubject) {
            return new Item(NO_RESPONDERS, MessageBody.of(replySubject, null, null, new byte[0]), false, false, Set.of());
        }

        static Item control(Control c) {
            // The body only sizes the record for the sender's bound.
            return new Item(CONTROL, MessageBody.of("_", null, null, c.data()), false, false, Set.of(), 0, c);
        }

        /** {@code count} messages on {@code subject} (null: subjects unknown) were not forwarded. */
        static Item lost(@Nullable String subject, long count) {
            return new Item(LOST, MessageBody.of(subject == null ? "" : subject, null, null, new byte[0]), false, false,
                    Set.of(), count, null);
        }

        /** A lost record's subject, null if unknown. */
        @Nullable String lostSubject() {
            return body.subject().isEmpty() ? null : body.subject();
        }
    }

    /**
     * A control record: one step of a session move ({@code Moves}), in order with the messages.
     *
     * @param op   which step ({@code Moves.CLAIM} ...)
     * @param args its text arguments
     * @param data its binary argument (a resume token, a session's state), or empty
     */
    record Control(int op, List<String> args, byte[] data) {
        Control {
            args = List.copyOf(args);
        }

        String arg(int i) {
            if (i >= args.size()) {
                throw new IllegalArgumentException("control record " + op + " has " + args.size() + " arguments, "
                        + (i + 1) + " expected");
            }
            return args.get(i);
        }
    }

    /** The bytes written so far; grown by doubling. */
    private byte[] buf;
    private int pos;
    private int count;
    /** The last string written and its UTF-8 bytes: a run of one subject is encoded once. */
    private @Nullable String lastString;
    private byte[] lastBytes = new byte[0];

    Batch() {
        this(1024);
    }

    /** A batch whose first {@code capacity} bytes need no copy as it grows. */
    Batch(int capacity) {
        buf = new byte[Math.max(16, capacity)];
        buf[0] = VERSION;
        pos = 5; // count, set by toBytes
    }

    /** Records added so far. */
    int count() {
        return count;
    }

    /** Bytes so far. */
    int size() {
        return pos;
    }

    void add(Item item) {
        putByte(item.kind());
        if (item.kind() == NO_RESPONDERS) {
            string(item.body().subject());
        } else if (item.control() != null) {
            Control c = item.control();
            putByte(c.op());
            putInt(c.args().size());
            for (String a : c.args()) {
                string(a);
            }
            putInt(c.data().length);
            put(c.data());
        } else if (item.kind() == LOST) {
            string(item.lostSubject());
            putLong(item.count());
        } else {
            MessageBody body = item.body();
            putByte((item.request() ? FLAG_REQUEST : 0) | (item.sole() ? FLAG_SOLE : 0));
            string(body.subject());
            string(body.replyTo());
            Headers headers = body.headers();
            putInt(headers.size());
            for (int i = 0; i < headers.size(); i++) {
                string(headers.name(i));
                string(headers.value(i));
            }
            putInt(item.groups().size());
            for (String g : item.groups()) {
                string(g);
            }
            putInt(body.payloadLength());
            put(body.payload());
        }
        count++;
    }

    /**
     * The batch's bytes: the array written into if it is exactly full, else a copy; either way the
     * batch is done (add nothing after, and do not change the array if the batch is used again).
     */
    byte[] toBytes() {
        byte[] b = pos == buf.length ? buf : java.util.Arrays.copyOf(buf, pos);
        ByteBuffer.wrap(b, 1, 4).putInt(count);
        return b;
    }

    private void ensure(int n) {
        if (pos + n > buf.length) {
            buf = java.util.Arrays.copyOf(buf, Math.max(pos + n, buf.length * 2));
        }
    }

    private void putByte(int b) {
        ensure(1);
        buf[pos++] = (byte) b;
    }

    private void putInt(int v) {
        ensure(4);
        buf[pos++] = (byte) (v >>> 24);
        buf[pos++] = (byte) (v >>> 16);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    private void putLong(long v) {
        putInt((int) (v >>> 32));
        putInt((int) v);
    }

    private void put(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
    }

    private void string(@Nullable String s) {
        if (s == null) {
            putInt(-1);
            return;
        }
        if (!s.equals(lastString)) { // a stream mostly repeats a subject: encoded once while it does
            lastBytes = s.getBytes(StandardCharsets.UTF_8);
            lastString = s;
        }
        putInt(lastBytes.length);
        put(lastBytes);
    }

    /** {@link #read(byte[], Strings)} without a cache of subjects (tests). */
    static List<Item> read(byte[] data) {
        return read(data, new Strings());
    }

    /**
     * The reader's cache of message subjects: a stream of messages mostly repeats a few subjects,
     * so each is decoded once and shared rather than made again per message. Direct-mapped, {@value
     * #SLOTS} slots, the newest subject taking its slot; reply subjects ({@code _INBOX.}, each used
     * once) are not kept. The reads of one node's stream only, one at a time.
     */
    static final class Strings {
        static final int SLOTS = 512;
        /** Hashed: at most this many of a subject's last bytes (subjects mostly differ at the end). */
        private static final int HASHED = 16;
        private final byte[][] keys = new byte[SLOTS][];
        private final String[] values = new String[SLOTS];
        /** The subject found or kept last: compared first, since a stream mostly repeats one. */
        private byte[] lastKey = new byte[0];
        private String lastValue = "";

        String decode(byte[] data, int offset, int length) {
            int end = offset + length;
            byte[] last = lastKey;
            if (last.length == length && java.util.Arrays.equals(last, 0, length, data, offset, end)) {
                return lastValue;
            }
            int h = length;
            for (int i = Math.max(offset, end - HASHED); i < end; i++) {
                h = 31 * h + data[i];
            }
            int slot = (h ^ (h >>> 16)) & (SLOTS - 1);
            byte[] key = keys[slot];
            if (key != null && java.util.Arrays.equals(key, 0, key.length, data, offset, end)) {
                lastKey = key;
                lastValue = values[slot];
                return values[slot];
            }
            String s = new String(data, offset, length, StandardCharsets.UTF_8);
            if (!s.startsWith("_INBOX.")) {
                key = java.util.Arrays.copyOfRange(data, offset, end);
                keys[slot] = key;
                values[slot] = s;
                lastKey = key;
                lastValue = s;
            }
            return s;
        }
    }

    /**
     * The records of a batch. Lengths are checked against what is left before anything is
     * allocated.
     *
     * @throws IllegalArgumentException if the bytes are not a batch of this version
     */
    static List<Item> read(byte[] data, Strings subjects) {
        ByteBuffer in = ByteBuffer.wrap(data);
        try {
            int version = in.get() & 0xFF;
            if (version != VERSION) {
                throw new IllegalArgumentException("batch version " + version + ", expected " + VERSION);
            }
            int count = in.getInt();
            if (count < 0 || count > data.length) {
                throw new IllegalArgumentException("batch count " + count + " in " + data.length + " bytes");
            }
            List<Item> items = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int kind = in.get() & 0xFF;
                if (kind == NO_RESPONDERS) {
                    items.add(Item.noResponders(required(in)));
                } else if (kind == CONTROL) {
                    int op = in.get() & 0xFF;
                    int argCount = length(in);
                    List<String> args = new ArrayList<>(Math.min(argCount, 16));
                    for (int k = 0; k < argCount; k++) {
                        args.add(required(in));
                    }
                    byte[] bytes = new byte[length(in)];
                    in.get(bytes);
                    items.add(Item.control(new Control(op, args, bytes)));
                } else if (kind == LOST) {
                    String subject = string(in);
                    long n = in.getLong();
                    if (n <= 0) {
                        throw new IllegalArgumentException("lost count " + n);
                    }
                    items.add(Item.lost(subject, n));
                } else if (kind == MESSAGE) {
                    int flags = in.get() & 0xFF;
                    int n = length(in);
                    String subject = subjects.decode(data, in.position(), n);
                    in.position(in.position() + n);
                    String replyTo = string(in);
                    int headerCount = length(in);
                    Headers headers = null;
                    if (headerCount > 0) {
                        Headers.Builder h = Headers.builder();
                        for (int k = 0; k < headerCount; k++) {
                            h.add(required(in), required(in));
                        }
                        headers = h.build();
                    }
                    int groupCount = length(in);
                    Set<String> groups = groupCount == 0 ? Set.of() : new HashSet<>();
                    for (int k = 0; k < groupCount; k++) {
                        groups.add(required(in));
                    }
                    byte[] payload = new byte[length(in)];
                    in.get(payload);
                    items.add(new Item(MESSAGE, MessageBody.of(subject, replyTo, headers, payload),
                            (flags & FLAG_REQUEST) != 0, (flags & FLAG_SOLE) != 0, groups));
                } else {
                    throw new IllegalArgumentException("unknown record kind " + kind);
                }
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " bytes after the last record");
            }
            return items;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("batch truncated", e);
        }
    }

    /** A length that fits in what is left. */
    private static int length(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0 || n > in.remaining()) {
            throw new IllegalArgumentException("length " + n + " with " + in.remaining() + " bytes left");
        }
        return n;
    }

    private static @Nullable String string(ByteBuffer in) {
        int n = in.getInt();
        if (n == -1) {
            return null;
        }
        in.position(in.position() - 4);
        byte[] b = new byte[length(in)];
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
