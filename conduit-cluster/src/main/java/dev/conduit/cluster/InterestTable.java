package dev.conduit.cluster;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which nodes have interest in a subject: a trie of every live node's interest (this node's own
 * included), built whole from a snapshot and never changed afterwards, so that the event loops read
 * it without a lock while the control thread builds the next one. A subject's {@link Route} is
 * cached per table, at most {@value #CACHE_MAX} subjects (the cache starts over when full); reply
 * subjects ({@code _INBOX.}) are used once and never cached.
 */
final class InterestTable {
    static final InterestTable EMPTY = new InterestTable(Map.of());
    private static final int CACHE_MAX = 1024;

    /**
     * The nodes a message on one subject concerns.
     *
     * @param plainNodes nodes with a plain subscription matching it
     * @param groupNodes for each queue group with a member matching it, the nodes holding such a
     *                   member, sorted
     */
    record Route(Set<String> plainNodes, Map<String, List<String>> groupNodes) {
        static final Route NONE = new Route(Set.of(), Map.of());
    }

    private record Entry(String node, InterestKey key) {
    }

    private final PatternTrie<Entry> trie = new PatternTrie<>();
    private final int size;
    private final Map<String, Map<InterestKey, Integer>> byNode;
    private volatile Map<String, Route> cache = new ConcurrentHashMap<>();

    /** A table of these nodes' interest: node id -> interest key -> subscriptions (> 0). */
    InterestTable(Map<String, Map<InterestKey, Integer>> interest) {
        this.byNode = Map.copyOf(interest);
        int n = 0;
        for (Map.Entry<String, Map<InterestKey, Integer>> e : byNode.entrySet()) {
            for (Map.Entry<InterestKey, Integer> k : e.getValue().entrySet()) {
                if (k.getValue() > 0) {
                    trie.add(k.getKey().pattern(), new Entry(e.getKey(), k.getKey()));
                    n++;
                }
            }
        }
        this.size = n;
    }

    /** Interest keys held, over all nodes. */
    int size() {
        return size;
    }

    /** Interest keys held by one node. */
    int size(String node) {
        Map<InterestKey, Integer> keys = byNode.get(node);
        return keys == null ? 0 : keys.size();
    }

    /** The nodes in the table. */
    Set<String> nodes() {
        return byNode.keySet();
    }

    /** The nodes that a message on {@code subject} concerns. Any thread. */
    Route route(String subject) {
        Map<String, Route> c = cache;
        Route r = c.get(subject);
        if (r != null) {
            return r;
        }
        List<Entry> found = new ArrayList<>();
        trie.collect(subject, found);
        r = toRoute(found);
        if (!subject.startsWith("_INBOX.")) {
            if (c.size() >= CACHE_MAX) {
                cache = new ConcurrentHashMap<>();
            } else {
                c.put(subject, r);
            }
        }
        return r;
    }

    private static Route toRoute(List<Entry> found) {
        if (found.isEmpty()) {
            return Route.NONE;
        }
        Set<String> plain = new TreeSet<>();
        Map<String, TreeSet<String>> groups = new TreeMap<>();
        for (Entry e : found) {
            if (e.key().group() == null) {
                plain.add(e.node());
            } else {
                groups.computeIfAbsent(e.key().group(), g -> new TreeSet<>()).add(e.node());
            }
        }
        Map<String, List<String>> groupNodes = new HashMap<>();
        groups.forEach((g, nodes) -> groupNodes.put(g, List.copyOf(nodes)));
        return new Route(Set.copyOf(plain), Map.copyOf(groupNodes));
    }

}
