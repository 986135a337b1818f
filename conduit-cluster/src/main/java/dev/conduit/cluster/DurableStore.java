package dev.conduit.cluster;

import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/**
 * The Redis side of durable sessions ({@code durableSessions}): every client session's state lives
 * in Redis as it flows, so that a session survives a {@code kill -9} of its node.
 *
 * <p>Every sequenced frame the server sends a session (MESSAGE, NO_RESPONDERS, GAP) is numbered in
 * Redis by a script ({@code durable-round.lua}, one call per send round of a node, {@link #apply})
 * and appended to the session's log; the owner node gets a copy through its inbound stream (the
 * <em>bell</em>, {@link #decodeBell}). The client's ACKs trim the log. A node that claims a session
 * after its owner died switches the owner atomically ({@code durable-claim.lua}, {@link #claim}) and
 * reads the log after the client's last received frame. Every write made on behalf of a session is
 * <em>guarded</em>: applied only if the session's owner in Redis is still the writer's node and epoch,
 * so a stopping or partitioned old owner's late writes are dropped, never applied twice.
 *
 * <p>Keys, all with the hash tag {@code {conduit}} (one Redis Cluster slot; the scripts build the
 * names from their arguments and declare {@code {conduit}:dsessions} as their only key, to route):
 * <pre>
 * {conduit}:ds:&lt;S&gt;        hash: node, own (owner epoch), inbox, principal, name, tok (hex SHA-256 of
 *                         the resume token), in (last client frame processed), seq (last frame
 *                         numbered), acked, sub:&lt;sid&gt; ({@link Sub#encode}), n:&lt;sid&gt; / nb:&lt;sid&gt;
 *                         (messages / payload bytes assigned to sid), d:&lt;sid&gt; (dropped at the
 *                         bound, not yet told), orphan (ms when a sweep first saw the owner dead)
 * {conduit}:ds:&lt;S&gt;:log    stream, entry id &lt;q&gt;-1: k = M|N|G, i = sid (0 for N), b = body | reply
 *                         subject | dropped count; for M also o, ob = n:/nb: before it
 * {conduit}:dsessions     set of every durable session id
 * {conduit}:dround:&lt;node&gt;:&lt;epoch&gt;  last round applied from that node incarnation (EX 86400)
 * {conduit}:in:&lt;node&gt;     the owner's inbound stream: one bell entry per round, field d
 * </pre>
 *
 * <p>A session's log holds at most {@code maxFrames} frames past the client's last ACK. A message
 * for a full log is dropped and counted per subscription ({@code d:<sid>}); the next message that
 * finds room is preceded by a GAP frame with the count (if only one frame fits, the GAP takes it and
 * counts that message as well). A NO_RESPONDERS for a full log is not written.
 *
 * <p>Numbers: frame numbers, counts and rounds are Java longs that stay below 2^53 in practice, so
 * that Lua (whose numbers are doubles) holds them exactly; epochs (up to 2^63) are only ever
 * compared as strings by the scripts.
 *
 * <p>Threads: immutable; any thread may call any method. Nothing blocks: each method returns the
 * future of its Redis replies, completed where Lettuce completes them.
 */
final class DurableStore {
    static final String SESSIONS = "{conduit}:dsessions";
    /**
     * The bound of each durable session's log, in frames numbered past the client's last ACK: past
     * it a message is not logged but counted, and told with a GAP before the subscription's next one.
     */
    static final int MAX_FRAMES = 100_000;
    private static final String[] ROUTE = {SESSIONS};

    private static final Script ROUND = Script.load("durable-round.lua");
    private static final Script CLAIM = Script.load("durable-claim.lua");
    private static final Script SWEEP = Script.load("durable-sweep.lua");

    private final RedisAsyncCommands<String, byte[]> redis;
    private final String node;
    private final long epoch;

    DurableStore(RedisAsyncCommands<String, byte[]> redis, String node, long epoch) {
        this.redis = redis;
        this.node = node;
        this.epoch = epoch;
    }

    /** The session's hash. */
    static String session(String s) {
        return "{conduit}:ds:" + s;
    }

    /** The session's log. */
    static String log(String s) {
        return session(s) + ":log";
    }

    /** A script's text and its SHA-1 (what EVALSHA names it by). */
    private record Script(String name, byte[] text, String sha) {
        static Script load(String name) {
            try (InputStream in = DurableStore.class.getResourceAsStream(name)) {
                if (in == null) {
                    throw new IllegalStateException("missing resource " + name);
                }
                byte[] text = in.readAllBytes();
                return new Script(name, text, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** EVALSHA; on NOSCRIPT (Redis restarted, or never saw it) loads the script and calls it again. */
    private <T> CompletableFuture<T> eval(Script script, ScriptOutputType type, byte[][] args) {
        CompletableFuture<T> first;
        try {
            first = redis.<T>evalsha(script.sha(), type, ROUTE, args).toCompletableFuture();
        } catch (RuntimeException e) {
            first = CompletableFuture.failedFuture(e);
        }
        return first.handle((v, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(v);
            }
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (!(cause instanceof RedisNoScriptException)
                    && (cause.getMessage() == null || !cause.getMessage().startsWith("NOSCRIPT"))) {
                return CompletableFuture.<T>failedFuture(cause);
            }
            return redis.scriptLoad(script.text()).toCompletableFuture()
                    .thenCompose(sha -> redis.<T>evalsha(sha, type, ROUTE, args).toCompletableFuture());
        }).thenCompose(f -> f);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte @Nullable [] b) {
        return b == null ? "" : new String(b, StandardCharsets.UTF_8);
    }

    private static long number(byte @Nullable [] b) {
        return b == null || b.length == 0 ? 0 : Long.parseLong(text(b));
    }

    /** Hex SHA-256 of a resume token's bytes: what the session's hash keeps instead of the token. */
    static String tokenHash(byte[] token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A subscription of a durable session, as its {@code sub:<sid>} field keeps it.
     *
     * @param creditMessages 0 for a lossy subscription
     * @param group          the queue group, or null
     */
    record Sub(boolean reliable, boolean disconnectWhenSlow, long creditMessages, long creditBytes,
               @Nullable String group, String pattern) {
        /** {@code <flags>\n<creditMessages>\n<creditBytes>\n<group or empty>\n<pattern>}; flags bit 0 reliable, bit 1 disconnect-when-slow. */
        String encode() {
            int flags = (reliable ? 1 : 0) | (disconnectWhenSlow ? 2 : 0);
            return flags + "\n" + creditMessages + "\n" + creditBytes + "\n" + (group == null ? "" : group) + "\n" + pattern;
        }

        /** The inverse of {@link #encode}; IllegalArgumentException if {@code s} is not one. */
        static Sub decode(String s) {
            String[] p = s.split("\n", 5);
            if (p.length != 5) {
                throw new IllegalArgumentException("not a durable subscription record: " + s);
            }
            try {
                int flags = Integer.parseInt(p[0]);
                return new Sub((flags & 1) != 0, (flags & 2) != 0, Long.parseLong(p[1]), Long.parseLong(p[2]),
                        p[3].isEmpty() ? null : p[3], p[4]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a durable subscription record: " + s, e);
            }
        }
    }

    /**
     * The ops of one send round, in order (the script's ARGV after its header). Built by one thread
     * at a time (the sender's round); not thread-safe.
     */
    static final class Round {
        private final List<byte[]> args = new ArrayList<>(1024);
        /** The bytes of the texts already in this round (session ids, op codes repeat): made once. */
        private final java.util.Map<String, byte[]> texts = new java.util.HashMap<>();

        private Round op(String code, Object... values) {
            args.add(text(code));
            for (Object v : values) {
                args.add(v instanceof byte[] b ? b : v instanceof String t ? text(t) : utf8(String.valueOf(v)));
            }
            return this;
        }

        private byte[] text(String t) {
            return texts.computeIfAbsent(t, DurableStore::utf8);
        }

        /** Creates session {@code s}, owned by the applying node; a session of that id is replaced. */
        Round create(String s, String inbox, String principal, String name, byte[] token) {
            return op("C", s, inbox, principal, name, tokenHash(token));
        }

        /** Guarded: the session's resume token is now {@code token}. */
        Round token(String s, byte[] token) {
            return op("T", s, tokenHash(token));
        }

        /** Guarded: client frame {@code seq} subscribed {@code sid}. */
        Round subscribe(String s, long seq, int sid, Sub sub) {
            return op("S", s, seq, sid, sub.encode());
        }

        /** Guarded: client frame {@code seq} unsubscribed {@code sid}; its counts go with it. */
        Round unsubscribe(String s, long seq, int sid) {
            return op("U", s, seq, sid);
        }

        /**
         * A message for subscription {@code sid} of session {@code s}: numbered and logged unless
         * the session or subscription is gone, or dropped and counted at the log's bound.
         *
         * @param origin the durable session that published it (its frame {@code oseq}): then the op is
         *               guarded on the origin, whose {@code in} becomes at least {@code oseq}; or null
         * @param plen   the payload's bytes, added to {@code nb:<sid>}
         * @param body   the encoded message, opaque here
         */
        Round message(@Nullable String origin, long oseq, String s, int sid, int plen, byte[] body) {
            return op("M", origin == null ? "" : origin, oseq, s, sid, plen, body);
        }

        /** A NO_RESPONDERS for session {@code s}'s request to {@code reply}; origin as for {@link #message}. */
        Round noResponders(@Nullable String origin, long oseq, String s, String reply) {
            return op("N", origin == null ? "" : origin, oseq, s, reply);
        }

        /**
         * Guarded: the node processed the session's client frames up to {@code seq} and is about to
         * acknowledge them: {@code in} becomes at least {@code seq}.
         */
        Round received(String s, long seq) {
            return op("I", s, seq);
        }

        /**
         * {@code count} messages for subscription {@code sid} of {@code s} were not queued (the
         * sending node's queue was at its bound): added to {@code d:<sid>}, told with the next GAP.
         */
        Round lost(String s, int sid, long count) {
            return op("L", s, sid, count);
        }

        /** Guarded: the client has every frame up to {@code acked}; the log is trimmed to after it. */
        Round ack(String s, long acked) {
            return op("A", s, acked);
        }

        /** Guarded: session {@code s} ends; its hash and log are deleted. */
        Round end(String s) {
            return op("E", s);
        }
    }

    /**
     * Applies a round's ops at once (one EVALSHA). A round number is applied once: calling again
     * with a round at or below the last applied by this node incarnation does nothing (Lettuce
     * resends a command whose reply was lost).
     *
     * @param round      this node incarnation's round number, increasing from 1
     * @param maxFrames  the bound of every session's log, in frames past the client's last ACK
     * @param bellMaxLen the approximate MAXLEN of the owners' inbound streams
     * @return {applied, rejected, duplicate}: ops done (including those whose session or
     *     subscription was gone), ops dropped by a guard, and 1 if the round had been applied before
     */
    CompletableFuture<long[]> apply(long round, int maxFrames, long bellMaxLen, Round ops) {
        byte[][] args = new byte[5 + ops.args.size()][];
        args[0] = utf8(node);
        args[1] = utf8(Long.toString(epoch));
        args[2] = utf8(Long.toString(round));
        args[3] = utf8(Integer.toString(maxFrames));
        args[4] = utf8(Long.toString(bellMaxLen));
        for (int i = 0; i < ops.args.size(); i++) {
            args[5 + i] = ops.args.get(i);
        }
        return this.<List<Object>>eval(ROUND, ScriptOutputType.MULTI, args).thenApply(r ->
                new long[] {(Long) r.get(0), (Long) r.get(1), (Long) r.get(2)});
    }

    /**
     * A frame of a session's log.
     *
     * @param kind        'M' message, 'N' no responders, 'G' gap
     * @param sid         the subscription (0 for N)
     * @param data        M: the encoded message; N: the reply subject; G: the dropped count (decimal)
     * @param before      M: messages assigned to the subscription before this one (0 otherwise)
     * @param beforeBytes M: payload bytes assigned to it before this one
     */
    record LogFrame(long q, char kind, int sid, byte[] data, long before, long beforeBytes) {
    }

    /**
     * A session as this node claimed it.
     *
     * @param assigned per subscription, {messages, payload bytes} assigned so far
     * @param after    the log's frames after the client's last received, in order
     */
    record Claimed(String node, long epoch, String inbox, String principal, String name, long in, long seq,
                   long acked, Map<Integer, Sub> subs, Map<Integer, long[]> assigned, List<LogFrame> after) {
    }

    /**
     * Claims session {@code s} for this node incarnation: checks the token and the client's last
     * received frame number, switches the owner (clearing {@code orphan}, publishing a hint), then
     * reads the log after {@code clientLast}. Frames numbered after the switch (by any node) are
     * rung to this node as well, so {@code after} and the next bells may overlap: {@code q} tells.
     * Fails with IllegalStateException if there is no such session, the token is not its current
     * one, the client claims frames never sent, or frames after the client's last are trimmed.
     */
    CompletableFuture<Claimed> claim(String s, byte[] token, long clientLast) {
        byte[][] args = {utf8(s), utf8(tokenHash(token)), utf8(Long.toString(clientLast)), utf8(node),
                utf8(Long.toString(epoch))};
        return this.<List<Object>>eval(CLAIM, ScriptOutputType.MULTI, args).thenCompose(r -> {
            String status = text((byte[]) r.get(0));
            switch (status) {
                case "ok" -> {
                }
                case "missing" -> throw new IllegalStateException("the session is not held by the cluster: " + s);
                case "token" -> throw new IllegalStateException("the resume token is not the session's current one: " + s);
                case "ahead" -> throw new IllegalStateException("the client claims frames never sent: last received "
                        + clientLast + ", last sent " + text((byte[]) r.get(1)));
                case "gone" -> throw new IllegalStateException("frames after the client's last received are gone: last received "
                        + clientLast + ", acknowledged " + text((byte[]) r.get(1)));
                default -> throw new IllegalStateException("unexpected claim reply " + status);
            }
            Map<String, byte[]> hash = new HashMap<>();
            for (int i = 1; i + 1 < r.size(); i += 2) {
                hash.put(text((byte[]) r.get(i)), (byte[]) r.get(i + 1));
            }
            Map<Integer, Sub> subs = subs(hash);
            Map<Integer, long[]> assigned = new HashMap<>();
            subs.keySet().forEach(sid -> assigned.put(sid,
                    new long[] {number(hash.get("n:" + sid)), number(hash.get("nb:" + sid))}));
            return fetch(s, clientLast + 1, Integer.MAX_VALUE).thenApply(after -> new Claimed(text(hash.get("node")),
                    Long.parseLong(text(hash.get("own"))), text(hash.get("inbox")), text(hash.get("principal")),
                    text(hash.get("name")), number(hash.get("in")), number(hash.get("seq")), number(hash.get("acked")),
                    subs, assigned, after));
        });
    }

    private static Map<Integer, Sub> subs(Map<String, byte[]> hash) {
        Map<Integer, Sub> subs = new LinkedHashMap<>();
        hash.forEach((field, value) -> {
            if (field.startsWith("sub:")) {
                subs.put(Integer.parseInt(field.substring(4)), Sub.decode(text(value)));
            }
        });
        return subs;
    }

    /** Up to {@code max} frames of session {@code s}'s log from number {@code fromQ} on, in order. */
    CompletableFuture<List<LogFrame>> fetch(String s, long fromQ, int max) {
        return redis.xrange(log(s), Range.create(fromQ + "-1", "+"), Limit.from(max)).toCompletableFuture()
                .thenApply(entries -> {
                    List<LogFrame> frames = new ArrayList<>(entries.size());
                    for (StreamMessage<String, byte[]> e : entries) {
                        Map<String, byte[]> f = e.getBody();
                        String id = e.getId();
                        frames.add(new LogFrame(Long.parseLong(id.substring(0, id.indexOf('-'))), text(f.get("k")).charAt(0),
                                (int) number(f.get("i")), f.getOrDefault("b", new byte[0]), number(f.get("o")),
                                number(f.get("ob"))));
                    }
                    return frames;
                });
    }

    /** A record of a bell: frame {@code q} of {@code session}, as in its log. */
    record Bell(String session, long q, char kind, int sid, byte[] data) {
    }

    /**
     * The records of a bell's field {@code d}: each five strings (session, q, kind, sid, data), each
     * a u32 big-endian length and its bytes; q and sid are decimal, kind one letter (M, N, G), data
     * as in the log:
     * <pre>
     * +--------+---------+--------+---+--------+---+--------+-----+--------+------+-- next record
     * | len u32| session | len u32| q | len u32| k | len u32| sid | len u32| data |
     * +--------+---------+--------+---+--------+---+--------+-----+--------+------+--
     * </pre>
     * Every length is checked against what is left before anything is allocated.
     *
     * @throws IllegalArgumentException if a length runs past the end, a record is cut short, or a
     *     number or kind is not one
     */
    static List<Bell> decodeBell(byte[] d) {
        ByteBuffer in = ByteBuffer.wrap(d);
        List<Bell> bells = new ArrayList<>();
        byte[][] parts = new byte[5][];
        while (in.hasRemaining()) {
            for (int i = 0; i < 5; i++) {
                if (in.remaining() < 4) {
                    throw new IllegalArgumentException("bell cut short: record " + bells.size() + " ends inside a length");
                }
                long len = Integer.toUnsignedLong(in.getInt());
                if (len > in.remaining()) {
                    throw new IllegalArgumentException("bell string of " + len + " bytes, only " + in.remaining() + " left");
                }
                parts[i] = new byte[(int) len];
                in.get(parts[i]);
            }
            String kind = text(parts[2]);
            if (kind.length() != 1) {
                throw new IllegalArgumentException("bell record kind is not one character: " + kind);
            }
            try {
                bells.add(new Bell(text(parts[0]), Long.parseLong(text(parts[1])), kind.charAt(0),
                        Integer.parseInt(text(parts[3])), parts[4]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bell record number is not one: " + e.getMessage(), e);
            }
        }
        return bells;
    }

    /** A durable session as routing tables need it: its owner and subscriptions. */
    record Held(String node, long epoch, String inbox, Map<Integer, Sub> subs) {
    }

    private static @Nullable Held held(Map<String, byte[]> hash) {
        if (!hash.containsKey("own") || !hash.containsKey("node")) {
            return null;
        }
        return new Held(text(hash.get("node")), Long.parseLong(text(hash.get("own"))), text(hash.get("inbox")), subs(hash));
    }

    /** Every durable session, by id (SMEMBERS, then every HGETALL at once); ids without a hash are left out. */
    CompletableFuture<Map<String, Held>> loadAll() {
        return redis.smembers(SESSIONS).toCompletableFuture().thenCompose(ids -> {
            Map<String, CompletableFuture<Map<String, byte[]>>> reads = new LinkedHashMap<>();
            for (byte[] id : ids) {
                String s = text(id);
                reads.put(s, redis.hgetall(session(s)).toCompletableFuture());
            }
            return CompletableFuture.allOf(reads.values().toArray(CompletableFuture[]::new)).thenApply(v -> {
                Map<String, Held> all = new HashMap<>();
                reads.forEach((s, f) -> {
                    Held h = held(f.join());
                    if (h != null) {
                        all.put(s, h);
                    }
                });
                return all;
            });
        });
    }

    /** Session {@code s}, or null if it is gone. */
    CompletableFuture<@Nullable Held> load(String s) {
        return redis.hgetall(session(s)).toCompletableFuture().thenApply(DurableStore::held);
    }

    /**
     * Sweeps the durable sessions whose owner epoch is not in {@code liveEpochs}: the first sweep to
     * see one marks it orphan at {@code nowMillis}; a later one deletes it once orphan for more than
     * {@code expireAfterMillis} (in a script, only if its owner is still the one read, so a claim
     * in between wins), with a hint. A session whose owner is alive loses its orphan mark; ids left
     * in the set without a hash are dropped from it.
     *
     * @return the number of sessions deleted
     */
    CompletableFuture<Integer> sweep(Set<Long> liveEpochs, long nowMillis, long expireAfterMillis) {
        return redis.smembers(SESSIONS).toCompletableFuture().thenCompose(ids -> {
            Map<String, CompletableFuture<List<KeyValue<String, byte[]>>>> reads = new LinkedHashMap<>();
            for (byte[] id : ids) {
                String s = text(id);
                reads.put(s, redis.hmget(session(s), "own", "orphan").toCompletableFuture());
            }
            return CompletableFuture.allOf(reads.values().toArray(CompletableFuture[]::new)).thenCompose(v -> {
                List<byte[]> args = new ArrayList<>();
                args.add(utf8(Long.toString(nowMillis)));
                args.add(utf8(Long.toString(expireAfterMillis)));
                reads.forEach((s, f) -> {
                    List<KeyValue<String, byte[]>> kv = f.join();
                    byte[] own = kv.get(0).getValueOrElse(null);
                    boolean orphan = kv.get(1).hasValue();
                    String code;
                    if (own == null) {
                        code = "X";
                    } else if (!live(liveEpochs, text(own))) {
                        code = "O";
                    } else if (orphan) {
                        code = "L";
                    } else {
                        return;
                    }
                    args.add(utf8(code));
                    args.add(utf8(s));
                    args.add(own == null ? new byte[0] : own);
                });
                if (args.size() == 2) {
                    return CompletableFuture.completedFuture(0);
                }
                return this.<Long>eval(SWEEP, ScriptOutputType.INTEGER, args.toArray(byte[][]::new)).thenApply(Long::intValue);
            });
        });
    }

    private static boolean live(Set<Long> liveEpochs, String own) {
        try {
            return liveEpochs.contains(Long.parseLong(own));
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
