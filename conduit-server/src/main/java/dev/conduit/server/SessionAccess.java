package dev.conduit.server;

import dev.conduit.server.spi.Permissions;
import dev.conduit.server.spi.Principal;
import dev.conduit.transport.Clock;
import dev.conduit.transport.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session's principal and what it may do: the permission checks for PUBLISH and SUBSCRIBE, the
 * reply subjects it may answer ({@code allowResponses}), the expiry of its credentials, and a
 * rate limit on the log lines its denials cause.
 *
 * <p>Threads: checks run on the session's inbound path (under its inLock); {@link #granted} runs on
 * publishers' I/O threads; the expiry timer on the clock's thread. The reply grants are guarded by
 * their own monitor; the rest is volatile.
 */
final class SessionAccess {
    private static final Logger log = LoggerFactory.getLogger(SessionAccess.class);
    /** Reply subjects a session may answer at once; the oldest is forgotten beyond this. */
    static final int MAX_PENDING_RESPONSES = 1024;
    /** At most one denial log line per session per this interval; the rest are counted. */
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Permissions permissions;
    private final boolean systemReader;
    /** May act through $SYS.admin without a $SYS publish pattern: see {@link #mayAdminister}. */
    private final boolean defaultAdmin;
    private final Clock clock;
    private volatile Principal principal;
    /** Reply subjects of requests delivered to this session, in arrival order; see allowResponses. */
    private final Map<String, Boolean> responses = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > MAX_PENDING_RESPONSES;
        }
    };
    private final Object logLock = new Object();
    private long lastLogNanos;
    private boolean loggedOnce;
    private long suppressed;
    private Connection.Cancellable expiryTimer;

    SessionAccess(Principal principal, Permissions permissions, boolean systemReader, boolean defaultAdmin,
                  Clock clock) {
        this.principal = principal;
        this.permissions = permissions;
        this.systemReader = systemReader;
        this.defaultAdmin = defaultAdmin;
        this.clock = clock;
    }

    Principal principal() {
        return principal;
    }

    String name() {
        return principal.name();
    }

    /** Whether messages delivered to this session should be noted for {@code allowResponses}. */
    boolean recordsResponses() {
        return permissions.allowResponses() && permissions != Permissions.ALL;
    }

    /** A request with this reply subject was delivered to the session. */
    void granted(String replyTo) {
        if (Permissions.isSystem(replyTo)) {
            return;
        }
        synchronized (responses) {
            responses.put(replyTo, Boolean.TRUE);
        }
    }

    /** Null if the session may publish to {@code subject} (using up a reply grant if that is what allows it), else why not. */
    String checkPublish(String subject) {
        if (permissions.mayPublish(subject)) {
            return null;
        }
        if (permissions.allowResponses() && !Permissions.isSystem(subject)) {
            synchronized (responses) {
                if (responses.remove(subject) != null) {
                    return null;
                }
            }
        }
        return "permission denied: publish to '" + subject + "'" + (Permissions.isSystem(subject)
                ? " (clients may not publish to $SYS)" : " (principal " + name() + ")");
    }

    /** Null if the session may subscribe to {@code pattern}, else why not. */
    String checkSubscribe(String pattern) {
        if (permissions.maySubscribe(pattern, systemReader)) {
            return null;
        }
        return "permission denied: subscribe to '" + pattern + "' (principal " + name() + ")";
    }

    /**
     * Whether the principal may read the server's state ({@code $SYS.api} requests): as it may
     * subscribe to {@code $SYS.stats}.
     */
    boolean mayReadSystem() {
        return permissions.maySubscribe(StatsPublisher.SUBJECT, systemReader);
    }

    /**
     * Whether the principal may act on the server ({@code $SYS.admin} requests such as closing a
     * session): a {@code publish.allow} pattern naming {@code $SYS} matches {@code subject} (such as
     * {@code $SYS.admin.>}; allowing every subject does not reach {@code $SYS}) and no {@code
     * publish.deny} pattern does; or it is an in-process client, or the anonymous principal of a
     * server without authentication that relies on the loopback default (not when {@code
     * allowAnonymous} was set explicitly).
     */
    boolean mayAdminister(String subject) {
        if (permissions.publishDeny().stream().anyMatch(d -> dev.conduit.protocol.Subjects.matches(d, subject))) {
            return false;
        }
        return defaultAdmin || (permissions.publishAllow() != null && permissions.publishAllow().stream()
                .anyMatch(a -> Permissions.isSystem(a) && dev.conduit.protocol.Subjects.matches(a, subject)));
    }

    /** Whether this denial should be logged now; otherwise it is counted and reported with the next line. */
    long logDenial() {
        synchronized (logLock) {
            long now = clock.nanoTime();
            if (loggedOnce && now - lastLogNanos < LOG_INTERVAL_NANOS) {
                suppressed++;
                return -1;
            }
            loggedOnce = true;
            lastLogNanos = now;
            long s = suppressed;
            suppressed = 0;
            return s;
        }
    }

    /**
     * Logs a denial, at most once a second per session, and through one {@link LimitLog} for all
     * sessions, so that many sessions denied at once cannot flood the log either.
     */
    void logDenied(Object session, String message) {
        long skipped = logDenial();
        if (skipped >= 0) {
            DENIALS.note(session, message + (skipped == 0 ? "" : " (and " + skipped + " more denials of this session not logged)"));
        }
    }

    /** Permission denials of every session in the process, held to the {@link LimitLog} rate. */
    static final LimitLog DENIALS = new LimitLog("permission denied", dev.conduit.transport.Clock.system());

    /**
     * New credentials for the same principal (a renewal or a resume): replaces its expiry and
     * schedules {@code onExpired} for it.
     *
     * @return milliseconds until the credentials expire, or 0 if they do not
     */
    synchronized long credentials(Principal renewed, Instant now, Runnable onExpired) {
        this.principal = renewed;
        if (expiryTimer != null) {
            expiryTimer.cancel();
            expiryTimer = null;
        }
        Instant exp = renewed.expiresAt();
        if (exp == null) {
            return 0;
        }
        long millis = Math.max(1, Duration.between(now, exp).toMillis());
        expiryTimer = clock.schedule(onExpired, Duration.between(now, exp).toNanos(), TimeUnit.NANOSECONDS);
        return millis;
    }

    /** The session ended: no expiry timer is needed. */
    synchronized void cancelExpiry() {
        if (expiryTimer != null) {
            expiryTimer.cancel();
            expiryTimer = null;
        }
    }
}
