package dev.conduit.protocol;

/**
 * Subject rules. A subject is a non-empty string of dot-separated, non-empty tokens, for example
 * {@code orders.eu.created}. Tokens contain no whitespace or control characters. Two tokens are
 * reserved as wildcards and may appear only in subscription patterns, and only as whole tokens:
 * {@code *} matches exactly one token, {@code >} matches one or more trailing tokens and must be
 * the last token.
 */
public final class Subjects {
    private Subjects() {
    }

    /**
     * Checks a subject that a message is published to (no wildcards).
     *
     * @return the subject, for chaining
     * @throws InvalidSubjectException naming the subject and what is wrong with it
     */
    public static String checkSubject(String subject, int maxBytes) {
        check(subject, maxBytes, false, "subject");
        return subject;
    }

    /** Checks a subscription pattern (wildcards allowed as whole tokens). */
    public static String checkPattern(String pattern, int maxBytes) {
        check(pattern, maxBytes, true, "pattern");
        return pattern;
    }

    /** Checks a queue group name: a non-empty string without whitespace, dots or wildcards. */
    public static String checkQueueGroup(String group, int maxBytes) {
        if (group == null || group.isEmpty()) {
            throw new InvalidSubjectException("queue group must not be empty");
        }
        if (Utf8.length(group) > maxBytes) {
            throw new InvalidSubjectException("queue group '" + group + "' is longer than " + maxBytes + " bytes");
        }
        for (int i = 0; i < group.length(); i++) {
            char c = group.charAt(i);
            if (c <= ' ' || c == 0x7f || c == '.' || c == '*' || c == '>') {
                throw new InvalidSubjectException("invalid queue group '" + group + "': character '"
                        + printable(c) + "' at index " + i + " is not allowed");
            }
        }
        return group;
    }

    /** Whether a pattern has a wildcard token. The pattern is assumed valid. */
    public static boolean hasWildcard(String pattern) {
        int start = 0;
        int n = pattern.length();
        for (int i = 0; i <= n; i++) {
            if (i == n || pattern.charAt(i) == '.') {
                if (i - start == 1 && (pattern.charAt(start) == '*' || pattern.charAt(start) == '>')) {
                    return true;
                }
                start = i + 1;
            }
        }
        return false;
    }

    /**
     * Whether a valid subject matches a valid pattern. This is the reference definition of matching;
     * the server uses an index that must agree with it.
     */
    public static boolean matches(String pattern, String subject) {
        String[] p = pattern.split("\\.", -1);
        String[] s = subject.split("\\.", -1);
        for (int i = 0; i < p.length; i++) {
            if (p[i].equals(">")) {
                return s.length > i;
            }
            if (i >= s.length) {
                return false;
            }
            if (!p[i].equals("*") && !p[i].equals(s[i])) {
                return false;
            }
        }
        return p.length == s.length;
    }

    /** {@link #checkSubject}, returning the subject's length in UTF-8, which the check measures anyway. */
    static int checkSubjectLength(String subject, int maxBytes) {
        return check(subject, maxBytes, false, "subject");
    }

    /** Returns the value's length in UTF-8. */
    private static int check(String value, int maxBytes, boolean wildcards, String what) {
        if (value == null || value.isEmpty()) {
            throw new InvalidSubjectException(what + " must not be empty");
        }
        int bytes = Utf8.length(value);
        if (bytes > maxBytes) {
            throw new InvalidSubjectException(what + " '" + abbreviate(value) + "' is longer than " + maxBytes + " bytes");
        }
        int n = value.length();
        int tokenStart = 0;
        for (int i = 0; i <= n; i++) {
            char c = i == n ? '.' : value.charAt(i);
            if (c == '.') {
                int len = i - tokenStart;
                if (len == 0) {
                    throw new InvalidSubjectException("invalid " + what + " '" + value + "': empty token at index " + i);
                }
                if (len == 1) {
                    char t = value.charAt(tokenStart);
                    if (t == '*' || t == '>') {
                        if (!wildcards) {
                            throw new InvalidSubjectException("invalid " + what + " '" + value
                                    + "': wildcard '" + t + "' is only allowed in subscription patterns");
                        }
                        if (t == '>' && i != n) {
                            throw new InvalidSubjectException("invalid " + what + " '" + value
                                    + "': '>' must be the last token");
                        }
                    }
                }
                tokenStart = i + 1;
            } else if (c <= ' ' || c == 0x7f || Character.isWhitespace(c)) {
                throw new InvalidSubjectException("invalid " + what + " '" + abbreviate(value) + "': character '"
                        + printable(c) + "' at index " + i + " is not allowed");
            } else if ((c == '*' || c == '>') && !(i == tokenStart && (i + 1 == n || value.charAt(i + 1) == '.'))) {
                throw new InvalidSubjectException("invalid " + what + " '" + value + "': '" + c
                        + "' at index " + i + " must be a whole token");
            }
        }
        return bytes;
    }

    private static String printable(char c) {
        return c < ' ' || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
