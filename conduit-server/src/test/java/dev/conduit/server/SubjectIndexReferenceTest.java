package dev.conduit.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.conduit.protocol.Subjects;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * {@link SubjectIndex} checked against the reference definition of matching, {@link
 * Subjects#matches}, through seeded random adds and removes over a small token alphabet, so that
 * patterns overlap a lot.
 */
class SubjectIndexReferenceTest {
    private static final String[] TOKENS = {"a", "b", "c"};
    private static final String[] GROUPS = {"g1", "g2", "g3"};
    private static final List<String> ALL_SUBJECTS = allSubjects(4);

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 42, 20240601})
    void matchesExactlyWhatTheReferenceMatcherSaysThroughRandomAddsAndRemoves(long seed) {
        Random random = new Random(seed);
        SubjectIndex index = new SubjectIndex();
        List<ServerSubscription> live = new ArrayList<>();
        for (int op = 0; op < 2_000; op++) {
            int kind = random.nextInt(10);
            if (live.isEmpty() || kind < 6) {
                String group = random.nextInt(3) == 0 ? GROUPS[random.nextInt(GROUPS.length)] : null;
                ServerSubscription s = new ServerSubscription(null, op, pattern(random), group);
                index.add(s);
                live.add(s);
            } else if (kind < 9) {
                index.remove(live.remove(random.nextInt(live.size())));
            } else {
                // Removing what is not in the index (never added, or a twin with the same pattern) changes nothing.
                ServerSubscription twin = live.get(random.nextInt(live.size()));
                index.remove(new ServerSubscription(null, -1, twin.pattern, twin.queueGroup()));
            }
            String context = "seed " + seed + " op " + op;
            assertThat(index.size()).as(context).isEqualTo(live.size());
            assertThat(nodeCount(index)).as("%s: trie nodes for %d live patterns", context, live.size())
                    .isEqualTo(expectedNodes(live));
            List<String> subjects = op % 250 == 0 ? ALL_SUBJECTS
                    : List.of(subject(random), subject(random), subject(random));
            for (String subject : subjects) {
                check(context, subject, live, index);
            }
        }
        List<ServerSubscription> shuffled = new ArrayList<>(live);
        java.util.Collections.shuffle(shuffled, random);
        for (ServerSubscription s : shuffled) {
            index.remove(s);
            live.remove(s);
            assertThat(index.size()).isEqualTo(live.size());
        }
        assertThat(index.size()).isZero();
        assertThat(nodeCount(index)).as("every node pruned").isZero();
        for (String subject : ALL_SUBJECTS) {
            List<ServerSubscription> none = new ArrayList<>();
            index.match(subject, none);
            assertThat(none).as(subject).isEmpty();
        }
    }

    @Test
    void theSamePatternManyTimesAndTheWildcardsAloneAgreeWithTheReference() {
        SubjectIndex index = new SubjectIndex();
        List<ServerSubscription> live = new ArrayList<>();
        String[] patterns = {">", "*", "a", "a", "a.>", "*.>", "a.*", "*.*.*", "a.b.c.>", "*.b", "a.b"};
        for (int i = 0; i < patterns.length; i++) {
            ServerSubscription s = new ServerSubscription(null, i, patterns[i], null);
            index.add(s);
            live.add(s);
        }
        for (String subject : ALL_SUBJECTS) {
            check("fixed", subject, live, index);
        }
        for (ServerSubscription s : List.copyOf(live)) {
            index.remove(s);
            live.remove(s);
            for (String subject : List.of("a", "a.b", "a.b.c", "a.b.c.d", "b.b.b")) {
                check("after removing " + s.pattern, subject, live, index);
            }
        }
        assertThat(nodeCount(index)).isZero();
    }

    @Test
    void matchAppendsAfterWhatTheListAlreadyHolds() {
        SubjectIndex index = new SubjectIndex();
        ServerSubscription plain = new ServerSubscription(null, 1, "x.*", null);
        ServerSubscription member = new ServerSubscription(null, 2, "x.y", "q");
        index.add(plain);
        index.add(member);
        ServerSubscription earlier = new ServerSubscription(null, 99, "unrelated", "q");
        List<ServerSubscription> out = new ArrayList<>(List.of(earlier));
        index.match("x.y", out);
        assertThat(out).hasSize(3).startsWith(earlier).contains(plain, member);
    }

    /** Asserts the index's answer for one subject against {@link Subjects#matches}. */
    private static void check(String context, String subject, List<ServerSubscription> live, SubjectIndex index) {
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
        List<ServerSubscription> got = new ArrayList<>();
        index.match(subject, got);
        assertThat(got).as("%s: %s matched twice", context, subject).doesNotHaveDuplicates();
        Set<ServerSubscription> gotPlain = new HashSet<>();
        Map<String, List<ServerSubscription>> gotGroups = new HashMap<>();
        for (ServerSubscription s : got) {
            if (s.queueGroup() == null) {
                gotPlain.add(s);
            } else {
                gotGroups.computeIfAbsent(s.queueGroup(), g -> new ArrayList<>()).add(s);
            }
        }
        assertThat(gotPlain).as("%s: plain subscriptions matching %s", context, subject).isEqualTo(expectedPlain);
        assertThat(gotGroups.keySet()).as("%s: groups matching %s", context, subject)
                .isEqualTo(expectedGroups.keySet());
        gotGroups.forEach((group, members) -> {
            assertThat(members).as("%s: members of %s picked for %s", context, group, subject).hasSize(1);
            assertThat(expectedGroups.get(group)).as("%s: %s picked a member that does not match %s",
                    context, group, subject).contains(members.get(0));
        });
    }

    /** The trie nodes a correct index holds: every prefix of every live pattern, '>' excluded. */
    private static int expectedNodes(List<ServerSubscription> live) {
        Set<String> prefixes = new HashSet<>();
        for (ServerSubscription s : live) {
            String[] tokens = s.pattern.split("\\.");
            int depth = tokens[tokens.length - 1].equals(">") ? tokens.length - 1 : tokens.length;
            StringBuilder prefix = new StringBuilder();
            for (int i = 0; i < depth; i++) {
                prefix.append('.').append(tokens[i]);
                prefixes.add(prefix.toString());
            }
        }
        return prefixes.size();
    }

    /** Nodes below the root, read by reflection so that the index needs no accessor for tests. */
    private static int nodeCount(SubjectIndex index) {
        try {
            Field root = SubjectIndex.class.getDeclaredField("root");
            root.setAccessible(true);
            return countBelow(root.get(index));
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("SubjectIndex's trie is no longer where this test looks for it", e);
        }
    }

    private static int countBelow(Object node) throws ReflectiveOperationException {
        Field children = node.getClass().getDeclaredField("children");
        children.setAccessible(true);
        int n = 0;
        for (Object child : ((Map<?, ?>) children.get(node)).values()) {
            n += 1 + countBelow(child);
        }
        return n;
    }

    private static String subject(Random random) {
        int n = 1 + random.nextInt(4);
        StringBuilder sb = new StringBuilder(TOKENS[random.nextInt(TOKENS.length)]);
        for (int i = 1; i < n; i++) {
            sb.append('.').append(TOKENS[random.nextInt(TOKENS.length)]);
        }
        return sb.toString();
    }

    private static String pattern(Random random) {
        if (random.nextInt(40) == 0) {
            return random.nextBoolean() ? ">" : "*";
        }
        String[] tokens = subject(random).split("\\.");
        for (int i = 0; i < tokens.length; i++) {
            if (random.nextInt(3) == 0) {
                tokens[i] = "*";
            }
        }
        if (random.nextInt(4) == 0) {
            tokens[tokens.length - 1] = ">";
        }
        return String.join(".", tokens);
    }

    private static List<String> allSubjects(int maxDepth) {
        List<String> out = new ArrayList<>();
        List<String> level = List.of("");
        for (int d = 1; d <= maxDepth; d++) {
            List<String> next = new ArrayList<>();
            for (String prefix : level) {
                for (String t : TOKENS) {
                    next.add(prefix.isEmpty() ? t : prefix + "." + t);
                }
            }
            out.addAll(next);
            level = next;
        }
        return out;
    }
}
