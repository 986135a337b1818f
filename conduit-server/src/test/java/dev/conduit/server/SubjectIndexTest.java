package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.protocol.Subjects;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The trie against the reference definition of matching, {@link Subjects#matches}. */
class SubjectIndexTest {
    /** With {@code _INBOX}: reply subjects take their own path (never cached, no Match made without a group). */
    private static final String[] TOKENS = {"a", "b", "c", "orders", "eu", "_INBOX"};

    @Test
    void agreesWithTheReferenceMatcherThroughRandomAddsAndRemoves() {
        for (long seed = 1; seed <= 5; seed++) {
            Random random = new Random(seed);
            SubjectIndex index = new SubjectIndex();
            List<ServerSubscription> live = new ArrayList<>();
            for (int op = 0; op < 2_000; op++) {
                if (live.isEmpty() || random.nextInt(3) > 0) {
                    String group = random.nextInt(4) == 0 ? "g" + random.nextInt(2) : null;
                    ServerSubscription s = new ServerSubscription(null, op, pattern(random), group);
                    index.add(s);
                    live.add(s);
                } else {
                    index.remove(live.remove(random.nextInt(live.size())));
                }
                assertThat(index.size()).isEqualTo(live.size());
                String subject = subject(random);
                List<ServerSubscription> got = new ArrayList<>();
                index.match(subject, got);
                check(seed, op, subject, live, got);
            }
            live.forEach(index::remove);
            assertThat(index.size()).isZero();
            List<ServerSubscription> none = new ArrayList<>();
            index.match("a.b", none);
            assertThat(none).isEmpty();
        }
    }

    private static void check(long seed, int op, String subject, List<ServerSubscription> live,
                              List<ServerSubscription> got) {
        Set<ServerSubscription> expectedPlain = new HashSet<>();
        Map<String, Set<ServerSubscription>> expectedGroups = new HashMap<>();
        for (ServerSubscription s : live) {
            if (Subjects.matches(s.pattern, subject)) {
                if (s.queueGroup() == null) {
                    expectedPlain.add(s);
                } else {
                    expectedGroups.computeIfAbsent(s.queueGroup(), g -> new HashSet<>()).add(s);
                }
            }
        }
        Set<ServerSubscription> gotPlain = new HashSet<>();
        Map<String, List<ServerSubscription>> gotGroups = new HashMap<>();
        for (ServerSubscription s : got) {
            if (s.queueGroup() == null) {
                assertThat(gotPlain.add(s)).as("seed %d op %d: %s delivered twice", seed, op, s).isTrue();
            } else {
                gotGroups.computeIfAbsent(s.queueGroup(), g -> new ArrayList<>()).add(s);
            }
        }
        assertThat(gotPlain).as("seed %d op %d subject %s", seed, op, subject).isEqualTo(expectedPlain);
        assertThat(gotGroups.keySet()).as("seed %d op %d groups for %s", seed, op, subject)
                .isEqualTo(expectedGroups.keySet());
        gotGroups.forEach((group, members) -> {
            assertThat(members).as("seed %d op %d: one member of %s", seed, op, group).hasSize(1);
            assertThat(expectedGroups.get(group)).contains(members.get(0));
        });
    }

    @Test
    void queueGroupMembersTakeTurns() {
        SubjectIndex index = new SubjectIndex();
        List<ServerSubscription> members = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ServerSubscription s = new ServerSubscription(null, i, i % 2 == 0 ? "jobs.*" : "jobs.>", "workers");
            members.add(s);
            index.add(s);
        }
        Map<ServerSubscription, Integer> picks = new HashMap<>();
        for (int i = 0; i < 4_000; i++) {
            List<ServerSubscription> got = new ArrayList<>();
            index.match("jobs.x", got);
            assertThat(got).hasSize(1);
            picks.merge(got.get(0), 1, Integer::sum);
        }
        for (ServerSubscription s : members) {
            assertThat(picks.get(s)).as("member %d", s.id).isEqualTo(1_000);
        }
    }

    @Test
    void removingAnUnknownSubscriptionChangesNothing() {
        SubjectIndex index = new SubjectIndex();
        ServerSubscription kept = new ServerSubscription(null, 1, "a.b", null);
        index.add(kept);
        index.remove(new ServerSubscription(null, 2, "a.b", null));
        index.remove(new ServerSubscription(null, 3, "x.y.z", "g"));
        assertThat(index.size()).isEqualTo(1);
        List<ServerSubscription> got = new ArrayList<>();
        index.match("a.b", got);
        assertThat(got).containsExactly(kept);
    }

    private static String subject(Random random) {
        int n = 1 + random.nextInt(4);
        StringBuilder sb = new StringBuilder(TOKENS[random.nextInt(TOKENS.length)]);
        for (int i = 1; i < n; i++) {
            sb.append('.').append(TOKENS[random.nextInt(TOKENS.length)]);
        }
        return sb.toString();
    }

    @Test
    void replySubjectsAreMatchedButNeverCached() {
        SubjectIndex index = new SubjectIndex();
        ServerSubscription inbox = new ServerSubscription(null, 1, "_INBOX.abc.*", null);
        ServerSubscription orders = new ServerSubscription(null, 2, "orders.>", null);
        index.add(inbox);
        index.add(orders);
        List<ServerSubscription> out = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            index.match("_INBOX.abc." + i, out);
            assertThat(out).containsExactly(inbox);
            out.clear();
        }
        assertThat(index.cachedSubjects()).isZero();
        index.match("orders.eu", out);
        assertThat(out).containsExactly(orders);
        assertThat(index.cachedSubjects()).isEqualTo(1);
    }

    @Test
    void aBurstOfUniqueReplySubjectsLeavesTheHotSubjectsCached() {
        SubjectIndex index = new SubjectIndex();
        ServerSubscription inbox = new ServerSubscription(null, 1, "_INBOX.abc.*", null);
        ServerSubscription orders = new ServerSubscription(null, 2, "orders.>", null);
        index.add(inbox);
        index.add(orders);
        List<ServerSubscription> out = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            index.match("orders.hot" + i, out);
        }
        assertThat(index.cachedSubjects()).isEqualTo(100);
        out.clear();
        // Several times the cache's size: each would evict the hot entries if it were inserted.
        for (int i = 0; i < 10_000; i++) {
            index.match("_INBOX.abc." + i, out);
        }
        assertThat(out).hasSize(10_000).containsOnly(inbox);
        assertThat(index.cachedSubjects()).isEqualTo(100);
        out.clear();
        index.match("orders.hot7", out);
        assertThat(out).containsExactly(orders);
        assertThat(index.cachedSubjects()).isEqualTo(100);
    }

    private static String pattern(Random random) {
        String[] tokens = subject(random).split("\\.");
        for (int i = 0; i < tokens.length; i++) {
            if (random.nextInt(4) == 0) {
                tokens[i] = "*";
            }
        }
        if (random.nextInt(3) == 0) {
            tokens[tokens.length - 1] = ">";
        }
        return String.join(".", tokens);
    }
}
