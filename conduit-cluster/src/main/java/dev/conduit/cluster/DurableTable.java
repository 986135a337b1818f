package dev.conduit.cluster;

import dev.conduit.protocol.Subjects;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Which durable subscriptions of the whole cluster a subject reaches (docs/cluster.md, "Durable
 * sessions"): a trie of every durable session's subscriptions, built whole from a snapshot and never
 * changed afterwards, so that the event loops read it without a lock. A subject under {@code
 * _INBOX.} reaches only the session whose inbox prefix it starts with, whatever wildcards others
 * subscribed with (as on a single server).
 */
final class DurableTable {
    static final DurableTable EMPTY = new DurableTable(Map.of());

    /** A subscription of a session. */
    record Target(String session, int sid) {
    }

    /**
     * What a message on one subject reaches.
     *
     * @param plain  subscriptions outside queue groups, each gets the message
     * @param groups per queue group, its members that match: one of them gets it
     */
    record Route(List<Target> plain, Map<String, List<Target>> groups) {
        static final Route NONE = new Route(List.of(), Map.of());

        boolean isEmpty() {
            return plain.isEmpty() && groups.isEmpty();
        }
    }

    /** A durable session as the table sees it. */
    record Session(String inbox, Map<Integer, DurableStore.Sub> subs) {
        Session {
            subs = Map.copyOf(subs);
        }
    }

    private record Entry(Target target, @Nullable String group) {
    }

    private final PatternTrie<Entry> trie = new PatternTrie<>();
    /** Inbox prefix to session. */
    private final Map<String, String> inboxes = new HashMap<>();
    private final Map<String, Session> sessions;
    private final int size;

    DurableTable(Map<String, Session> sessions) {
        this.sessions = Map.copyOf(sessions);
        int n = 0;
        for (Map.Entry<String, Session> e : this.sessions.entrySet()) {
            inboxes.put(e.getValue().inbox(), e.getKey());
            for (Map.Entry<Integer, DurableStore.Sub> s : e.getValue().subs().entrySet()) {
                if (!s.getValue().pattern().startsWith("_INBOX.")) {
                    trie.add(s.getValue().pattern(), new Entry(new Target(e.getKey(), s.getKey()), s.getValue().group()));
                }
                n++;
            }
        }
        this.size = n;
    }

    /** Subscriptions held, over all sessions. */
    int size() {
        return size;
    }

    /** Sessions held. */
    int sessions() {
        return sessions.size();
    }

    /** Routes of recent subjects (not inboxes), at most {@value #CACHE_MAX}; starts over when full. */
    private volatile Map<String, Route> cache = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int CACHE_MAX = 1024;

    /** The subscriptions that a message on {@code subject} reaches. Any thread. */
    Route route(String subject) {
        if (subject.startsWith("_INBOX.")) {
            return compute(subject);
        }
        Map<String, Route> c = cache;
        Route r = c.get(subject);
        if (r == null) {
            r = compute(subject);
            if (c.size() >= CACHE_MAX) {
                cache = new java.util.concurrent.ConcurrentHashMap<>();
            } else {
                c.put(subject, r);
            }
        }
        return r;
    }

    private Route compute(String subject) {
        List<Entry> found = new ArrayList<>();
        if (subject.startsWith("_INBOX.")) {
            inbox(subject, found);
        } else {
            trie.collect(subject, found);
        }
        if (found.isEmpty()) {
            return Route.NONE;
        }
        List<Target> plain = new ArrayList<>(found.size());
        Map<String, List<Target>> groups = null;
        for (Entry e : found) {
            if (e.group() == null) {
                plain.add(e.target());
            } else {
                if (groups == null) {
                    groups = new HashMap<>(4);
                }
                groups.computeIfAbsent(e.group(), g -> new ArrayList<>()).add(e.target());
            }
        }
        return new Route(List.copyOf(plain), groups == null ? Map.of() : Map.copyOf(groups));
    }

    /** The subscriptions of the session whose inbox {@code subject} is under that match it. */
    private void inbox(String subject, List<Entry> out) {
        int second = subject.indexOf('.', "_INBOX.".length());
        if (second < 0) {
            return;
        }
        String id = inboxes.get(subject.substring(0, second + 1));
        Session s = id == null ? null : sessions.get(id);
        if (s == null) {
            return;
        }
        for (Map.Entry<Integer, DurableStore.Sub> e : s.subs().entrySet()) {
            if (Subjects.matches(e.getValue().pattern(), subject)) {
                out.add(new Entry(new Target(id, e.getKey()), e.getValue().group()));
            }
        }
    }

}
