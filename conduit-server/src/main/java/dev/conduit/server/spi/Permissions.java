package dev.conduit.server.spi;

import dev.conduit.protocol.Subjects;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a principal may publish to and subscribe to. Patterns use the subject wildcards ({@code *}
 * one token, {@code >} one or more at the end). Deny wins over allow.
 *
 * <ul>
 *   <li>Publish to a subject: allowed if some allow pattern matches it ({@code null} allow: every
 *       subject) and no deny pattern matches it. Never to {@code $SYS} or below.</li>
 *   <li>Subscribe to a pattern: allowed if some allow pattern <em>covers</em> it (matches every
 *       subject the requested pattern matches; {@code null} allow: every pattern not starting with
 *       {@code $SYS}) and no deny pattern <em>overlaps</em> it (could match a subject it matches). A
 *       pattern whose first token is {@code $SYS} needs an allow pattern that starts with {@code
 *       $SYS}. The session's own request inbox ({@code _INBOX.<token>.*} with a literal token) is
 *       allowed without an allow pattern, but a deny pattern still wins over it.</li>
 *   <li>{@code allowResponses}: the principal may publish to the reply subject of a request it
 *       received, once, even if its publish patterns deny that subject ({@code $SYS} excepted).</li>
 * </ul>
 *
 * @param publishAllow   subjects it may publish to; {@code null} for every subject
 * @param publishDeny    subjects it may not publish to
 * @param subscribeAllow patterns it may subscribe to; {@code null} for every pattern
 * @param subscribeDeny  patterns it may not subscribe to
 * @param allowResponses whether it may answer requests it received whatever its publish patterns
 */
public record Permissions(@Nullable List<String> publishAllow, List<String> publishDeny,
                          @Nullable List<String> subscribeAllow,
                          List<String> subscribeDeny, boolean allowResponses) {
    /** Everything but {@code $SYS}. */
    public static final Permissions ALL = new Permissions(null, List.of(), null, List.of(), true);

    /** The prefix of system subjects. */
    public static final String SYSTEM_PREFIX = "$SYS";

    /** @throws IllegalArgumentException if a pattern is not a valid subject pattern */
    public Permissions {
        publishAllow = checked(publishAllow, "publish allow");
        publishDeny = publishDeny == null ? List.of() : checked(publishDeny, "publish deny");
        subscribeAllow = checked(subscribeAllow, "subscribe allow");
        subscribeDeny = subscribeDeny == null ? List.of() : checked(subscribeDeny, "subscribe deny");
    }

    private static @Nullable List<String> checked(@Nullable List<String> patterns, String what) {
        if (patterns == null) {
            return null;
        }
        for (String p : patterns) {
            try {
                Subjects.checkPattern(p, 0xFFFF);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(what + ": '" + p + "' is not a subject pattern: " + e.getMessage());
            }
        }
        return List.copyOf(patterns);
    }

    /** Whether the subject (no wildcards) or pattern is a system one: its first token is {@code $SYS}. */
    public static boolean isSystem(String subjectOrPattern) {
        return subjectOrPattern.startsWith(SYSTEM_PREFIX)
                && (subjectOrPattern.length() == SYSTEM_PREFIX.length()
                        || subjectOrPattern.charAt(SYSTEM_PREFIX.length()) == '.');
    }

    /** Whether publishing to {@code subject} is allowed (reply subjects aside; see {@code allowResponses}). */
    public boolean mayPublish(String subject) {
        if (isSystem(subject)) {
            return false;
        }
        // Loops, not streams: this runs for every PUBLISH, and a stream allocates four objects a call.
        if (publishAllow != null && !anyMatches(publishAllow, subject)) {
            return false;
        }
        return !anyMatches(publishDeny, subject);
    }

    private static boolean anyMatches(List<String> patterns, String subject) {
        for (int i = 0, n = patterns.size(); i < n; i++) {
            if (Subjects.matches(patterns.get(i), subject)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether subscribing to {@code pattern} is allowed.
     *
     * @param systemReader the principal may read {@code $SYS} without an explicit allow pattern (the
     *                     anonymous principal of a server without authentication)
     */
    public boolean maySubscribe(String pattern, boolean systemReader) {
        if (subscribeDeny.stream().anyMatch(d -> overlaps(d, pattern))) {
            return false;
        }
        if (isSystem(pattern)) {
            return systemReader || (subscribeAllow != null
                    && subscribeAllow.stream().anyMatch(a -> isSystem(a) && covers(a, pattern)));
        }
        if (subscribeAllow == null || isOwnInbox(pattern)) {
            return true;
        }
        return subscribeAllow.stream().anyMatch(a -> covers(a, pattern));
    }

    /** {@code _INBOX.<literal>.*} or {@code _INBOX.<literal>.<literal>}: a request inbox, as clients name them. */
    static boolean isOwnInbox(String pattern) {
        String[] t = pattern.split("\\.", -1);
        return t.length == 3 && t[0].equals("_INBOX") && !wildcard(t[1]) && !t[2].equals(">");
    }

    /** Whether every subject {@code inner} matches is matched by {@code outer}. */
    public static boolean covers(String outer, String inner) {
        String[] a = outer.split("\\.", -1);
        String[] p = inner.split("\\.", -1);
        for (int i = 0; i < a.length; i++) {
            if (a[i].equals(">")) {
                return i < p.length;
            }
            if (i >= p.length || p[i].equals(">")) {
                return false;
            }
            if (!a[i].equals("*") && (p[i].equals("*") || !a[i].equals(p[i]))) {
                return false;
            }
        }
        return a.length == p.length;
    }

    /** Whether some subject is matched by both patterns. */
    public static boolean overlaps(String x, String y) {
        String[] a = x.split("\\.", -1);
        String[] b = y.split("\\.", -1);
        int n = Math.min(a.length, b.length);
        for (int i = 0; i < n; i++) {
            if (a[i].equals(">") || b[i].equals(">")) {
                return true;
            }
            if (!a[i].equals("*") && !b[i].equals("*") && !a[i].equals(b[i])) {
                return false;
            }
        }
        return a.length == b.length;
    }

    private static boolean wildcard(String token) {
        return token.equals("*") || token.equals(">");
    }
}
