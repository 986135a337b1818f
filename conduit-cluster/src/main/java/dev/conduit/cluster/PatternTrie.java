package dev.conduit.cluster;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Values filed under subject patterns ({@code *} one token, a last {@code >} one or more), found by
 * the subjects they match. Built by one thread, then only read (any thread, no lock): the tables
 * that use it ({@link InterestTable}, {@link DurableTable}) are built whole and replaced, never
 * changed.
 */
final class PatternTrie<T> {
    private static final class Node<T> {
        final Map<String, Node<T>> children = new HashMap<>();
        final List<T> exact = new ArrayList<>(1);
        final List<T> rest = new ArrayList<>(1);
    }

    private final Node<T> root = new Node<>();

    /** Files {@code value} under {@code pattern}; before the trie is shared. */
    void add(String pattern, T value) {
        String[] tokens = pattern.split("\\.");
        boolean rest = tokens[tokens.length - 1].equals(">");
        Node<T> node = root;
        int depth = rest ? tokens.length - 1 : tokens.length;
        for (int i = 0; i < depth; i++) {
            node = node.children.computeIfAbsent(tokens[i], t -> new Node<>());
        }
        (rest ? node.rest : node.exact).add(value);
    }

    /** Adds to {@code out} every value whose pattern matches {@code subject}. */
    void collect(String subject, List<T> out) {
        collect(root, subject.split("\\."), 0, out);
    }

    private static <T> void collect(Node<T> node, String[] tokens, int i, List<T> out) {
        if (i == tokens.length) {
            out.addAll(node.exact);
            return;
        }
        out.addAll(node.rest); // '>' needs at least one more token, and there is one
        Node<T> child = node.children.get(tokens[i]);
        if (child != null) {
            collect(child, tokens, i + 1, out);
        }
        Node<T> star = node.children.get("*");
        if (star != null) {
            collect(star, tokens, i + 1, out);
        }
    }
}
