package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Queue groups through {@link SubjectIndex#match}: one member per message, taking turns. */
class QueueGroupSpreadTest {

    private static Map<ServerSubscription, Integer> publish(SubjectIndex index, String subject, int times) {
        Map<ServerSubscription, Integer> picks = new HashMap<>();
        for (int i = 0; i < times; i++) {
            List<ServerSubscription> out = new ArrayList<>();
            index.match(subject, out);
            for (ServerSubscription s : out) {
                picks.merge(s, 1, Integer::sum);
            }
        }
        return picks;
    }

    private static List<ServerSubscription> members(SubjectIndex index, String group, String... patterns) {
        List<ServerSubscription> members = new ArrayList<>();
        for (int i = 0; i < patterns.length; i++) {
            ServerSubscription s = new ServerSubscription(null, i, patterns[i], group);
            index.add(s);
            members.add(s);
        }
        return members;
    }

    @Test
    void fourMembersShare4000MessagesExactlyEvenly() {
        SubjectIndex index = new SubjectIndex();
        List<ServerSubscription> workers = members(index, "workers", "jobs.run", "jobs.run", "jobs.run", "jobs.run");
        Map<ServerSubscription, Integer> picks = publish(index, "jobs.run", 4_000);
        assertThat(picks).hasSize(4);
        for (ServerSubscription w : workers) {
            assertThat(picks.get(w)).as("member %d", w.id).isEqualTo(1_000);
        }
    }

    @Test
    void membersWithDifferentPatternsThatAllMatchShareEvenlyToo() {
        SubjectIndex index = new SubjectIndex();
        List<ServerSubscription> workers = members(index, "workers", "jobs.*", "jobs.>", ">", "*.run");
        Map<ServerSubscription, Integer> picks = publish(index, "jobs.run", 4_000);
        for (ServerSubscription w : workers) {
            assertThat(picks.get(w)).as("member '%s'", w.pattern).isEqualTo(1_000);
        }
    }

    @Test
    void eachGroupTakesTurnsOnItsOwnAndPlainSubscribersGetEverything() {
        SubjectIndex index = new SubjectIndex();
        List<ServerSubscription> a = members(index, "a", "orders.*", "orders.*", "orders.*", "orders.*");
        List<ServerSubscription> b = members(index, "b", "orders.>", "orders.new");
        ServerSubscription plain = new ServerSubscription(null, 100, "orders.new", null);
        ServerSubscription other = new ServerSubscription(null, 101, "orders.old", "a");
        index.add(plain);
        index.add(other);
        Map<ServerSubscription, Integer> picks = publish(index, "orders.new", 4_000);
        a.forEach(s -> assertThat(picks.get(s)).as("group a member %d", s.id).isEqualTo(1_000));
        b.forEach(s -> assertThat(picks.get(s)).as("group b member %d", s.id).isEqualTo(2_000));
        assertThat(picks.get(plain)).isEqualTo(4_000);
        assertThat(picks).doesNotContainKey(other);
    }

    @Test
    void aRemovedMemberGetsNothingMoreAndTheRestShare() {
        SubjectIndex index = new SubjectIndex();
        List<ServerSubscription> workers = members(index, "w", "t", "t", "t", "t");
        publish(index, "t", 10);
        index.remove(workers.get(1));
        Map<ServerSubscription, Integer> picks = publish(index, "t", 3_000);
        assertThat(picks).doesNotContainKey(workers.get(1));
        for (ServerSubscription s : List.of(workers.get(0), workers.get(2), workers.get(3))) {
            assertThat(picks.get(s)).isEqualTo(1_000);
        }
    }

    @Test
    void theLastMemberLeavingAndANewOneJoiningStartsAFreshGroup() {
        SubjectIndex index = new SubjectIndex();
        ServerSubscription first = members(index, "w", "t").get(0);
        index.remove(first);
        assertThat(index.size()).isZero();
        List<ServerSubscription> next = members(index, "w", "t", "t");
        Map<ServerSubscription, Integer> picks = publish(index, "t", 100);
        assertThat(picks).containsOnlyKeys(next);
        assertThat(picks.values()).containsOnly(50);
    }
}
