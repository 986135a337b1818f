package dev.conduit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.cluster.DurableStore.Bell;
import dev.conduit.cluster.DurableStore.Claimed;
import dev.conduit.cluster.DurableStore.Held;
import dev.conduit.cluster.DurableStore.LogFrame;
import dev.conduit.cluster.DurableStore.Round;
import dev.conduit.cluster.DurableStore.Sub;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link DurableStore} and its scripts against a real redis-server: numbering, the log's bound and
 * GAPs, ACK trimming, the owner and origin guards, round idempotence, claims and their refusals,
 * bells, the orphan sweep and loading.
 */
@Timeout(60)
class DurableStoreTest {
    /** Epochs near 2^63, where Lua numbers (doubles) could not tell them apart: the scripts compare strings. */
    private static final long E1 = Long.MAX_VALUE - 1;
    private static final long E2 = Long.MAX_VALUE - 2;
    private static final byte[] TOKEN = "token-1".getBytes(StandardCharsets.UTF_8);
    private static final Sub RELIABLE = new Sub(true, false, 100, 1 << 20, null, "feed.>");

    @AutoClose
    private static RedisProcess redis;
    private static RedisClient client;
    private static StatefulRedisConnection<String, byte[]> connection;
    private static RedisCommands<String, byte[]> sync;

    private DurableStore n1;
    private DurableStore n2;
    private long round;

    @BeforeAll
    static void redis() throws Exception {
        redis = RedisProcess.start();
        client = RedisClient.create(redis.uri());
        connection = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
        sync = connection.sync();
    }

    @AfterAll
    static void close() {
        if (client != null) {
            connection.close();
            client.shutdown();
        }
    }

    @BeforeEach
    void empty() {
        sync.flushall();
        n1 = new DurableStore(connection.async(), "n1", E1);
        n2 = new DurableStore(connection.async(), "n2", E2);
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    /** Applies ops as n1's next round, with a log bound of {@code maxFrames}. */
    private long[] n1(int maxFrames, Round ops) throws Exception {
        return get(n1.apply(++round, maxFrames, 1000, ops));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static String field(String s, String field) {
        byte[] v = sync.hget(DurableStore.session(s), field);
        return v == null ? null : text(v);
    }

    private static List<LogFrame> log(DurableStore store, String s) throws Exception {
        return get(store.fetch(s, 0, 1000));
    }

    /** Every bell record rung to {@code node}, over all its bell entries. */
    private static List<Bell> bells(String node) {
        List<Bell> all = new ArrayList<>();
        for (StreamMessage<String, byte[]> m : sync.xrange(ClusterKeys.inbound(node), Range.create("-", "+"))) {
            all.addAll(DurableStore.decodeBell(m.getBody().get("d")));
        }
        return all;
    }

    private static String describe(List<LogFrame> frames) {
        List<String> out = new ArrayList<>();
        for (LogFrame f : frames) {
            out.add(f.q() + ":" + f.kind() + ":" + f.sid() + ":" + text(f.data()) + ":" + f.before() + ":" + f.beforeBytes());
        }
        return String.join(" ", out);
    }

    private Round twoSessions() {
        return new Round().create("A", "_INBOX.a", "alice", "app-a", TOKEN).subscribe("A", 1, 1, RELIABLE)
                .create("B", "_INBOX.b", "bob", "app-b", TOKEN).subscribe("B", 1, 7, RELIABLE);
    }

    @Test
    void messagesAndNoRespondersAreNumberedPerSessionLoggedAndRung() throws Exception {
        assertThat(n1(100, twoSessions())).containsExactly(4, 0, 0);
        long[] counts = n1(100, new Round().message(null, 0, "A", 1, 2, bytes("m1")).message(null, 0, "B", 7, 3, bytes("b1"))
                .message(null, 0, "A", 1, 5, bytes("m2")).noResponders(null, 0, "A", "_INBOX.a.r1")
                .message(null, 0, "A", 9, 1, bytes("no such sub")).message(null, 0, "Z", 1, 1, bytes("no such session")));
        assertThat(counts).containsExactly(6, 0, 0);

        assertThat(describe(log(n1, "A"))).isEqualTo("1:M:1:m1:0:0 2:M:1:m2:1:2 3:N:0:_INBOX.a.r1:0:0");
        assertThat(describe(log(n1, "B"))).isEqualTo("1:M:7:b1:0:0");
        assertThat(field("A", "seq")).isEqualTo("3");
        assertThat(field("A", "n:1")).isEqualTo("2");
        assertThat(field("A", "nb:1")).isEqualTo("7");
        assertThat(field("A", "in")).isEqualTo("1");
        assertThat(sync.xlen(ClusterKeys.inbound("n1"))).as("one bell per owner per round").isEqualTo(1);
        assertThat(bells("n1")).extracting(b -> b.session() + ":" + b.q() + ":" + b.kind() + ":" + b.sid() + ":" + text(b.data()))
                .containsExactly("A:1:M:1:m1", "B:1:M:7:b1", "A:2:M:1:m2", "A:3:N:0:_INBOX.a.r1");
        assertThat(get(n1.fetch("A", 2, 1))).extracting(LogFrame::q).containsExactly(2L);
    }

    @Test
    void dropsAtTheBoundAreToldWithAGapBeforeTheNextMessageAndAcksTrimTheLog() throws Exception {
        n1(3, new Round().create("A", "_INBOX.a", "alice", "app", TOKEN).subscribe("A", 1, 1, RELIABLE));
        Round five = new Round();
        for (int i = 1; i <= 5; i++) {
            five.message(null, 0, "A", 1, 1, bytes("m" + i));
        }
        n1(3, five);
        assertThat(describe(log(n1, "A"))).isEqualTo("1:M:1:m1:0:0 2:M:1:m2:1:1 3:M:1:m3:2:2");
        assertThat(field("A", "d:1")).isEqualTo("2");
        assertThat(field("A", "n:1")).as("dropped messages are not assigned").isEqualTo("3");

        n1(3, new Round().ack("A", 2).noResponders(null, 0, "A", "r"));
        assertThat(sync.xlen(DurableStore.log("A"))).as("trimmed to after the ACK, then N").isEqualTo(2);
        n1(3, new Round().ack("A", 3).message(null, 0, "A", 1, 1, bytes("m6")));
        assertThat(describe(log(n1, "A"))).isEqualTo("4:N:0:r:0:0 5:G:1:2:0:0 6:M:1:m6:3:3");
        assertThat(field("A", "d:1")).isNull();

        n1(3, new Round().message(null, 0, "A", 1, 1, bytes("m7")).noResponders(null, 0, "A", "lost"));
        assertThat(field("A", "d:1")).isEqualTo("1");
        assertThat(field("A", "seq")).as("a NO_RESPONDERS at the bound is not written").isEqualTo("6");
        // Room for one frame: the GAP takes it and counts this message too.
        n1(3, new Round().ack("A", 4).message(null, 0, "A", 1, 1, bytes("m8")));
        assertThat(describe(log(n1, "A"))).isEqualTo("5:G:1:2:0:0 6:M:1:m6:3:3 7:G:1:2:0:0");
        assertThat(field("A", "n:1")).isEqualTo("4");

        n1(3, new Round().ack("A", 99).ack("A", 3));
        assertThat(field("A", "acked")).as("an ACK beyond seq or backwards is ignored").isEqualTo("4");
        n1(3, new Round().ack("A", 7).message(null, 0, "A", 1, 1, bytes("m9")));
        assertThat(describe(log(n1, "A"))).isEqualTo("8:M:1:m9:4:4");
    }

    @Test
    void anotherIncarnationsGuardedOpsAndMessagesFromItsOriginAreRejected() throws Exception {
        n1(100, twoSessions());
        DurableStore stale = new DurableStore(connection.async(), "n1", E1 - 1);
        long[] counts = get(stale.apply(1, 100, 1000, new Round().token("A", bytes("x")).subscribe("A", 5, 2, RELIABLE)
                .unsubscribe("A", 6, 1).ack("A", 0).end("A").message("A", 9, "B", 7, 1, bytes("from A"))
                .noResponders("A", 9, "A", "r").message(null, 0, "B", 7, 1, bytes("plain"))));
        assertThat(counts).containsExactly(1, 7, 0);
        assertThat(field("A", "tok")).isEqualTo(DurableStore.tokenHash(TOKEN));
        assertThat(field("A", "in")).isEqualTo("1");
        assertThat(field("A", "sub:2")).isNull();
        assertThat(sync.sismember(DurableStore.SESSIONS, bytes("A"))).isTrue();
        assertThat(describe(log(n1, "B"))).isEqualTo("1:M:7:plain:0:0");

        assertThat(n1(100, new Round().message("A", 9, "B", 7, 1, bytes("from A")).message("A", 4, "B", 7, 1, bytes("older"))))
                .containsExactly(2, 0, 0);
        assertThat(field("A", "in")).as("in = max of the origin's frames").isEqualTo("9");
        assertThat(field("B", "seq")).isEqualTo("3");

        assertThat(n1(100, new Round().unsubscribe("A", 10, 1).end("B").token("B", bytes("y")))).containsExactly(2, 1, 0);
        assertThat(field("A", "sub:1")).isNull();
        assertThat(field("A", "in")).isEqualTo("10");
        assertThat(sync.exists(DurableStore.session("B"), DurableStore.log("B"))).isZero();
        assertThat(sync.smembers(DurableStore.SESSIONS)).extracting(DurableStoreTest::text).containsExactly("A");
    }

    @Test
    void bodiesAreOpaqueBytesInTheLogAndTheBell() throws Exception {
        n1(100, twoSessions());
        byte[] body = {0, (byte) 0xff, '\n', '\r', 0, 1, (byte) 0x80};
        n1(100, new Round().message(null, 0, "A", 1, body.length, body));
        assertThat(log(n1, "A")).singleElement().satisfies(f -> assertThat(f.data()).containsExactly(body));
        assertThat(bells("n1")).singleElement().satisfies(b -> assertThat(b.data()).containsExactly(body));
    }

    @Test
    void aMalformedRoundIsRefusedWholeBeforeAnythingIsWritten() throws Exception {
        n1(100, twoSessions());
        byte[] script;
        try (var in = DurableStore.class.getResourceAsStream("durable-round.lua")) {
            script = in.readAllBytes();
        }
        byte[][] header = {bytes("n1"), bytes(Long.toString(E1)), bytes("50"), bytes("100"), bytes("1000")};
        byte[][] unknown = concat(header, bytes("M"), bytes(""), bytes("0"), bytes("A"), bytes("1"), bytes("1"), bytes("x"),
                bytes("Q"), bytes("A"));
        byte[][] cut = concat(header, bytes("M"), bytes(""), bytes("0"), bytes("A"), bytes("1"), bytes("1"), bytes("x"),
                bytes("A"));
        for (byte[][] args : List.of(unknown, cut)) {
            assertThatThrownBy(() -> sync.eval(script, io.lettuce.core.ScriptOutputType.MULTI,
                    new String[] {DurableStore.SESSIONS}, args)).hasMessageContaining("durable round");
        }
        assertThat(field("A", "seq")).isEqualTo("0");
        assertThat(sync.get("{conduit}:dround:n1:" + E1)).containsExactly(bytes("1"));
    }

    private static byte[][] concat(byte[][] head, byte[]... tail) {
        byte[][] all = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    @Test
    void aRoundIsAppliedOnce() throws Exception {
        n1(100, twoSessions());
        Round one = new Round().message(null, 0, "A", 1, 1, bytes("once"));
        assertThat(get(n1.apply(10, 100, 1000, one))).containsExactly(1, 0, 0);
        assertThat(get(n1.apply(10, 100, 1000, one))).containsExactly(0, 0, 1);
        assertThat(get(n1.apply(9, 100, 1000, one))).containsExactly(0, 0, 1);
        assertThat(describe(log(n1, "A"))).isEqualTo("1:M:1:once:0:0");
        assertThat(sync.ttl("{conduit}:dround:n1:" + E1)).isPositive();
        // Another incarnation of the node counts its rounds apart.
        DurableStore next = new DurableStore(connection.async(), "n1", 5);
        assertThat(get(next.apply(1, 100, 1000, new Round().message(null, 0, "A", 1, 1, bytes("next"))))).containsExactly(1, 0, 0);
    }

    @Test
    void aScriptUnknownToRedisIsLoadedAndTheCallMadeAgain() throws Exception {
        sync.scriptFlush();
        assertThat(n1(100, twoSessions())).containsExactly(4, 0, 0);
        sync.scriptFlush();
        assertThat(get(n1.claim("A", TOKEN, 0)).node()).isEqualTo("n1");
    }

    @Test
    void aClaimSwitchesTheOwnerAndReturnsTheFramesAfterTheClientsLast() throws Exception {
        n1(100, twoSessions().subscribe("A", 2, 3, new Sub(false, true, 0, 0, "workers", "jobs.*")));
        n1(100, new Round().message(null, 0, "A", 1, 4, bytes("m1")).message(null, 0, "A", 3, 2, bytes("j1"))
                .message(null, 0, "A", 1, 4, bytes("m2")).message(null, 0, "A", 1, 4, bytes("m3")).ack("A", 1));
        sync.hset(DurableStore.session("A"), "orphan", bytes("123"));

        assertThat(refusal(n2.claim("A", bytes("other"), 2))).isEqualTo("the resume token is not the session's current one: A");
        assertThat(refusal(n2.claim("A", TOKEN, 5))).startsWith("the client claims frames never sent");
        assertThat(refusal(n2.claim("A", TOKEN, 0))).startsWith("frames after the client's last received are gone");
        assertThat(refusal(n2.claim("Z", TOKEN, 0))).isEqualTo("the session is not held by the cluster: Z");
        assertThat(field("A", "node")).as("a refused claim changes nothing").isEqualTo("n1");

        Claimed c = get(n2.claim("A", TOKEN, 2));
        assertThat(c.node()).isEqualTo("n2");
        assertThat(c.epoch()).isEqualTo(E2);
        assertThat(List.of(c.inbox(), c.principal(), c.name())).containsExactly("_INBOX.a", "alice", "app-a");
        assertThat(List.of(c.in(), c.seq(), c.acked())).containsExactly(2L, 4L, 1L);
        assertThat(c.subs()).containsOnlyKeys(1, 3);
        assertThat(c.subs().get(3)).isEqualTo(new Sub(false, true, 0, 0, "workers", "jobs.*"));
        assertThat(c.assigned().get(1)).containsExactly(3, 12);
        assertThat(c.assigned().get(3)).containsExactly(1, 2);
        assertThat(describe(c.after())).isEqualTo("3:M:1:m2:1:4 4:M:1:m3:2:8");
        assertThat(field("A", "orphan")).isNull();
        assertThat(field("A", "own")).isEqualTo(Long.toString(E2));

        // The old owner is fenced off; the new one writes, and bells go to it.
        assertThat(n1(100, new Round().ack("A", 4).message("A", 3, "B", 7, 1, bytes("late")))).containsExactly(0, 2, 0);
        assertThat(get(n2.apply(1, 100, 1000, new Round().ack("A", 3).message(null, 0, "A", 1, 1, bytes("m4")))))
                .containsExactly(2, 0, 0);
        assertThat(describe(log(n2, "A"))).isEqualTo("4:M:1:m3:2:8 5:M:1:m4:3:12");
        assertThat(bells("n2")).extracting(Bell::q).containsExactly(5L);
    }

    private static String refusal(CompletableFuture<?> f) {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(IllegalStateException.class);
            return e.getCause().getMessage();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("the claim was not refused");
    }

    /** A bell as the round script writes it. */
    private static byte[] bell(String... strings) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String s : strings) {
            byte[] b = bytes(s);
            out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
            out.writeBytes(b);
        }
        return out.toByteArray();
    }

    @Test
    void bellsDecodeAndRefuseTruncatedOrOverlongInput() {
        byte[] d = bell("A", "1", "M", "1", "body", "session-β", "9007199254740991", "G", "12", "3");
        assertThat(DurableStore.decodeBell(d)).extracting(b -> b.session() + ":" + b.q() + ":" + b.kind() + ":" + b.sid() + ":" + text(b.data()))
                .containsExactly("A:1:M:1:body", "session-β:9007199254740991:G:12:3");
        assertThat(DurableStore.decodeBell(new byte[0])).isEmpty();

        assertThatThrownBy(() -> DurableStore.decodeBell(Arrays.copyOf(d, d.length - 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only");
        assertThatThrownBy(() -> DurableStore.decodeBell(bell("A", "1", "M", "1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cut short");
        byte[] overlong = bell("A", "1", "M", "1", "x");
        overlong[0] = (byte) 0xff; // a length of 4 GB
        assertThatThrownBy(() -> DurableStore.decodeBell(overlong)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DurableStore.decodeBell(bell("A", "one", "M", "1", "x")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void subscriptionRecordsRoundTrip() {
        Sub s = new Sub(true, true, 5, 6, "g", "a.b\nc");
        assertThat(s.encode()).isEqualTo("3\n5\n6\ng\na.b\nc");
        assertThat(Sub.decode(s.encode())).isEqualTo(s);
        assertThat(Sub.decode(RELIABLE.encode())).isEqualTo(RELIABLE);
        assertThatThrownBy(() -> Sub.decode("1\n2")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Sub.decode("x\n2\n3\n\np")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSessionOfADeadOwnerIsMarkedOrphanThenDeletedAfterExpiryUnlessClaimedOrItsOwnerIsBack() throws Exception {
        n1(100, twoSessions().create("C", "_INBOX.c", "carol", "app-c", TOKEN));
        get(n2.apply(1, 100, 1000, new Round().create("K", "_INBOX.k", "kim", "app-k", TOKEN)));
        sync.sadd(DurableStore.SESSIONS, bytes("stale"));
        sync.hset(DurableStore.session("A"), "orphan", bytes("1")); // marked while n1 was thought dead

        assertThat(get(n1.sweep(Set.of(E1, E2), 1_000, 500))).isZero();
        assertThat(field("A", "orphan")).as("its owner is alive").isNull();
        assertThat(sync.sismember(DurableStore.SESSIONS, bytes("stale"))).isFalse();

        assertThat(get(n2.sweep(Set.of(E2), 1_000, 500))).isZero();
        assertThat(List.of(field("A", "orphan"), field("B", "orphan"), field("C", "orphan"))).containsOnly("1000");
        assertThat(field("K", "orphan")).isNull();
        get(n2.claim("C", TOKEN, 0));

        assertThat(get(n2.sweep(Set.of(E2), 1_400, 500))).as("not yet expired").isZero();
        assertThat(get(n2.sweep(Set.of(E2), 1_501, 500))).isEqualTo(2);
        assertThat(sync.smembers(DurableStore.SESSIONS)).extracting(DurableStoreTest::text).containsExactlyInAnyOrder("C", "K");
        assertThat(sync.exists(DurableStore.session("A"), DurableStore.log("A"), DurableStore.session("B"))).isZero();
        assertThat(field("C", "orphan")).as("claimed by a live node").isNull();

        // The script deletes only if the owner is still the one the sweep read: a claim in between wins.
        sync.hset(DurableStore.session("C"), "orphan", bytes("0"));
        byte[] script;
        try (var in = DurableStore.class.getResourceAsStream("durable-sweep.lua")) {
            script = in.readAllBytes();
        }
        Long deleted = sync.eval(script, io.lettuce.core.ScriptOutputType.INTEGER, new String[] {DurableStore.SESSIONS},
                bytes("5000"), bytes("500"), bytes("O"), bytes("C"), bytes(Long.toString(E1)));
        assertThat(deleted).isZero();
        assertThat(sync.sismember(DurableStore.SESSIONS, bytes("C"))).isTrue();
    }

    @Test
    void loadAllReadsEverySessionsOwnerAndSubscriptions() throws Exception {
        n1(100, twoSessions().subscribe("A", 2, 2, new Sub(false, false, 0, 0, "q", "x.*")));
        get(n2.apply(1, 100, 1000, new Round().create("K", "_INBOX.k", "kim", "app-k", TOKEN)));
        sync.sadd(DurableStore.SESSIONS, bytes("stale"));

        Map<String, Held> all = get(n1.loadAll());
        assertThat(all).containsOnlyKeys("A", "B", "K");
        assertThat(all.get("A").node()).isEqualTo("n1");
        assertThat(all.get("A").epoch()).isEqualTo(E1);
        assertThat(all.get("A").inbox()).isEqualTo("_INBOX.a");
        assertThat(all.get("A").subs()).containsOnlyKeys(1, 2);
        assertThat(all.get("A").subs().get(2).group()).isEqualTo("q");
        assertThat(all.get("K").node()).isEqualTo("n2");
        assertThat(all.get("K").subs()).isEmpty();
        assertThat(get(n1.load("B")).subs()).containsOnlyKeys(7);
        assertThat(get(n1.load("stale"))).isNull();
    }
}
