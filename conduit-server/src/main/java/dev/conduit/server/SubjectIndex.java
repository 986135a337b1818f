package dev.conduit.server;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the subscriptions whose patterns match a subject by walking a trie of pattern tokens, so
 * that routing costs the subject's depth rather than the number of subscriptions.
 *
 * <p>Reads ({@link #match}) take no lock and may run on every I/O thread at once: children live in
 * concurrent maps and each node's subscriptions in an array that writers replace whole. Writes
 * ({@link #add}, {@link #remove}) are serialized on the index and prune nodes left empty.
 *
 * <p>What the trie yields for a subject (before one member per queue group is picked) is cached,
 * per subject, in a {@link MatchCache} that every write replaces with an empty one once it has
 * changed the trie. A match that read the current cache after a write finished therefore sees that
 * write, exactly as a walk of the trie would; a match racing a write may fill the cache being
 * replaced, which nobody reads afterwards. The cache holds at most {@value #CACHE_MAX} subjects and
 * starts empty again when full, so unique subjects cannot grow it. Reply subjects ({@code _INBOX.}
 * ...) are never cached: each is used once, and caching them would evict the subjects that repeat.
 */
final class SubjectIndex {
    private static final ServerSubscription[] NONE = new ServerSubscription[0];
    private static final int CACHE_MAX = 1024;
    private static final String INBOX_PREFIX = "_INBOX.";
    private static final String INBOX_TOKEN = "_INBOX";

    private static final class MatchCache {
        final Map<String, Match> matches = new ConcurrentHashMap<>();
    }

    /**
     * What matches one subject, as the cache keeps it: the plain subscriptions, and the members of
     * each matching queue group, grouped once when the subject is first matched, so that choosing
     * a member per message makes nothing.
     */
    private record Match(ServerSubscription[] plain, QueueGroup[] groups, ServerSubscription[][] members) {
        static final Match EMPTY = new Match(NONE, new QueueGroup[0], new ServerSubscription[0][]);

        static Match of(List<ServerSubscription> found) {
            if (found.isEmpty()) {
                return EMPTY;
            }
            List<ServerSubscription> plain = new ArrayList<>(found.size());
            Map<QueueGroup, List<ServerSubscription>> byGroup = new java.util.LinkedHashMap<>();
            for (ServerSubscription s : found) {
                if (s.group == null) {
                    plain.add(s);
                } else {
                    byGroup.computeIfAbsent(s.group, g -> new ArrayList<>(4)).add(s);
                }
            }
            QueueGroup[] groups = byGroup.keySet().toArray(new QueueGroup[0]);
            ServerSubscription[][] members = new ServerSubscription[groups.length][];
            for (int i = 0; i < groups.length; i++) {
                members[i] = byGroup.get(groups[i]).toArray(NONE);
            }
            return new Match(plain.toArray(NONE), groups, members);
        }
    }

    private final Node root = new Node(null, null);
    private volatile MatchCache cache = new MatchCache();
    private final Map<String, QueueGroup> groups = new HashMap<>();
    private int size;

    private static final class Node {
        final Node parent;
        final String token;
        final Map<String, Node> children = new ConcurrentHashMap<>();
        /** Subscriptions whose pattern ends at this node. */
        volatile ServerSubscription[] exact = NONE;
        /** Subscriptions whose pattern ends with '>' after this node's path. */
        volatile ServerSubscription[] rest = NONE;

        Node(Node parent, String token) {
            this.parent = parent;
            this.token = token;
        }

        boolean isEmpty() {
            return children.isEmpty() && exact.length == 0 && rest.length == 0;
        }
    }

    /** Adds a subscription with a valid pattern. */
    synchronized void add(ServerSubscription s) {
        String[] tokens = tokens(s.pattern);
        boolean rest = tokens[tokens.length - 1].equals(">");
        Node node = root;
        int depth = rest ? tokens.length - 1 : tokens.length;
        for (int i = 0; i < depth; i++) {
            Node parent = node;
            node = node.children.computeIfAbsent(tokens[i], t -> new Node(parent, t));
        }
        if (s.queueGroup() != null) {
            s.group = groups.computeIfAbsent(s.queueGroup(), QueueGroup::new);
            s.group.members++;
        }
        if (rest) {
            node.rest = append(node.rest, s);
        } else {
            node.exact = append(node.exact, s);
        }
        size++;
        cache = new MatchCache();
    }

    /** Removes a subscription; does nothing if it is not in the index. */
    synchronized void remove(ServerSubscription s) {
        String[] tokens = tokens(s.pattern);
        boolean rest = tokens[tokens.length - 1].equals(">");
        Node node = root;
        int depth = rest ? tokens.length - 1 : tokens.length;
        for (int i = 0; i < depth && node != null; i++) {
            node = node.children.get(tokens[i]);
        }
        if (node == null) {
            return;
        }
        ServerSubscription[] before = rest ? node.rest : node.exact;
        ServerSubscription[] after = without(before, s);
        if (after == before) {
            return;
        }
        if (rest) {
            node.rest = after;
        } else {
            node.exact = after;
        }
        size--;
        if (s.group != null && --s.group.members == 0) {
            groups.remove(s.group.name);
        }
        while (node.parent != null && node.isEmpty()) {
            node.parent.children.remove(node.token, node);
            node = node.parent;
        }
        cache = new MatchCache();
    }

    /** Subjects whose matches are cached now; for tests. */
    int cachedSubjects() {
        return cache.matches.size();
    }

    synchronized int size() {
        return size;
    }

    /**
     * Adds to {@code out} every subscription that should receive a message on {@code subject}: all
     * plain matches, and one member of each matching queue group.
     */
    void match(String subject, List<ServerSubscription> out) {
        MatchCache c = cache;
        Match matched = c.matches.get(subject);
        int start = out.size();
        if (matched == null) {
            collect(root, subject, 0, out);
            boolean inbox = subject.startsWith(INBOX_PREFIX);
            if (inbox && noGroupMember(out, start)) {
                return; // what Match.of would give back, in the same order; made for one message, not kept
            }
            List<ServerSubscription> found = out.subList(start, out.size());
            matched = Match.of(found);
            found.clear();
            if (inbox) {
                // A reply subject is used once: caching it would only evict the subjects that repeat.
            } else if (c.matches.size() >= CACHE_MAX) {
                cache = new MatchCache(); // an empty cache is always right
            } else {
                c.matches.put(subject, matched);
            }
        }
        addAll(out, matched.plain());
        // One member per group, chosen per message (after the cache: liveness changes without a
        // write to the index).
        QueueGroup[] groups = matched.groups();
        for (int i = 0; i < groups.length; i++) {
            out.add(groups[i].pick(matched.members()[i]));
        }
    }

    /**
     * Adds the subscriptions under {@code node} that match the subject's tokens from index {@code
     * from} on (past its end: none left). Walks the subject in place rather than splitting it first:
     * a token becomes a String only to look up a literal child, and not at all where the only child
     * is '*' (as under a session's inbox prefix, {@code _INBOX.<id>.*}); a reply subject's first token
     * is always {@code _INBOX}. Matching an inbox subject (each used once, so never in the cache) cost
     * a token array and a String per token (12 % of the server's CPU samples in W4, docs/benchmarks.md).
     */
    private static void collect(Node node, String subject, int from, List<ServerSubscription> out) {
        int length = subject.length();
        if (from > length) {
            addAll(out, node.exact);
            return;
        }
        addAll(out, node.rest); // '>' needs at least one more token, and there is one
        Map<String, Node> children = node.children;
        if (children.isEmpty()) {
            return;
        }
        int end = subject.indexOf('.', from);
        if (end < 0) {
            end = length;
        }
        Node star = children.get("*");
        if (star == null || children.size() > 1) {
            String token = from == 0 && end == INBOX_TOKEN.length() && subject.startsWith(INBOX_PREFIX)
                    ? INBOX_TOKEN : subject.substring(from, end);
            Node child = children.get(token);
            if (child != null) {
                collect(child, subject, end + 1, out);
            }
        }
        if (star != null) {
            collect(star, subject, end + 1, out);
        }
    }

    private static boolean noGroupMember(List<ServerSubscription> subs, int from) {
        for (int i = from, n = subs.size(); i < n; i++) {
            if (subs.get(i).group != null) {
                return false;
            }
        }
        return true;
    }

    private static void addAll(List<ServerSubscription> out, ServerSubscription[] subs) {
        for (ServerSubscription s : subs) {
            out.add(s);
        }
    }

    private static ServerSubscription[] append(ServerSubscription[] subs, ServerSubscription s) {
        ServerSubscription[] copy = Arrays.copyOf(subs, subs.length + 1);
        copy[subs.length] = s;
        return copy;
    }

    private static ServerSubscription[] without(ServerSubscription[] subs, ServerSubscription s) {
        for (int i = 0; i < subs.length; i++) {
            if (subs[i] == s) {
                if (subs.length == 1) {
                    return NONE;
                }
                ServerSubscription[] copy = new ServerSubscription[subs.length - 1];
                System.arraycopy(subs, 0, copy, 0, i);
                System.arraycopy(subs, i + 1, copy, i, subs.length - i - 1);
                return copy;
            }
        }
        return subs;
    }

    /** Splits a valid subject on dots without a regular expression. */
    static String[] tokens(String subject) {
        int count = 1;
        for (int i = 0; i < subject.length(); i++) {
            if (subject.charAt(i) == '.') {
                count++;
            }
        }
        String[] tokens = new String[count];
        int start = 0;
        int t = 0;
        for (int i = 0; i <= subject.length(); i++) {
            if (i == subject.length() || subject.charAt(i) == '.') {
                tokens[t++] = subject.substring(start, i);
                start = i + 1;
            }
        }
        return tokens;
    }
}
