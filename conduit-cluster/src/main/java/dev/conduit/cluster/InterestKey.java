package dev.conduit.cluster;

import org.jspecify.annotations.Nullable;

/**
 * One kind of interest as a field of a node's interest hash: {@code p <pattern>} for plain
 * subscriptions, {@code q <group> <pattern>} for members of a queue group. Patterns and group names
 * hold no spaces (conduit-protocol {@code Subjects}), so a space separates them.
 *
 * @param pattern the subject pattern
 * @param group   the queue group, or null for plain subscriptions
 */
record InterestKey(String pattern, @Nullable String group) {

    /** The hash field. */
    String field() {
        return group == null ? "p " + pattern : "q " + group + " " + pattern;
    }

    /**
     * Parses a hash field.
     *
     * @return the key, or null if the field is not one (written by another version: ignored)
     */
    static @Nullable InterestKey parse(String field) {
        if (field.startsWith("p ") && field.length() > 2) {
            return new InterestKey(field.substring(2), null);
        }
        if (field.startsWith("q ")) {
            int space = field.indexOf(' ', 2);
            if (space > 2 && space < field.length() - 1) {
                return new InterestKey(field.substring(space + 1), field.substring(2, space));
            }
        }
        return null;
    }
}
