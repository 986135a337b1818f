package dev.conduit.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conduit.protocol.MessageBody;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests a client makes to the server itself, as the dashboard does: ordinary requests (a PUBLISH
 * with a reply subject) on {@code $SYS.api.*} (read) and {@code $SYS.admin.*} (act), answered with
 * one JSON message on the reply subject. They go over the client's own session, so they are
 * authenticated and authorized like the rest of its traffic; the schema is in docs/operations.md.
 *
 * <ul>
 *   <li>{@value #HISTORY}: the last 15 minutes of per-second figures ({@link StatsHistory}).</li>
 *   <li>{@value #SESSION}, payload {@code {"id": "<session id>"}}: one session's figures and
 *       subscriptions, and whether the requester may close it ({@code mayClose}).</li>
 *   <li>{@value #CLOSE}, payload {@code {"id": "<session id>"}}: ends that session.</li>
 * </ul>
 *
 * <p>Reading needs what reading {@code $SYS.stats} needs ({@link SessionAccess#mayReadSystem});
 * acting needs a {@code $SYS.admin} publish right ({@link SessionAccess#mayAdminister}). Every answer
 * has a {@code status} (200, 400, 403, 404) and, unless 200, an {@code error}. Such requests and
 * their answers are not counted as traffic, and an answer goes only to the requesting session's own
 * subscriptions (a reply subject cannot make the server publish elsewhere).
 *
 * <p>Threads: {@link #request} runs on the requester's inbound path and only hands the work to
 * the server's virtual-thread executor, where the answer is built and delivered.
 */
final class SystemApi {
    private static final Logger log = LoggerFactory.getLogger(SystemApi.class);
    static final String API_PREFIX = "$SYS.api.";
    static final String ADMIN_PREFIX = "$SYS.admin.";
    static final String HISTORY = "$SYS.api.history";
    static final String SESSION = "$SYS.api.session";
    static final String CLOSE = "$SYS.admin.session.close";
    /** A request payload longer than this is refused without being parsed. */
    static final int MAX_REQUEST_BYTES = 4096;

    /**
     * One subscription as the session page shows it. A record, so that the figures of later work
     * (such as flow-control credit) are one more component.
     */
    record SubscriptionInfo(int id, String pattern, String queueGroup, long delivered, long droppedSinceGap,
                            boolean disconnectWhenSlow) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RoutingServer server;
    private final Executor executor;

    SystemApi(RoutingServer server, Executor executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Whether a PUBLISH to {@code subject} is a request to the server itself. */
    static boolean handles(String subject) {
        return subject.startsWith(API_PREFIX) || subject.startsWith(ADMIN_PREFIX);
    }

    /** A PUBLISH to a {@link #handles} subject; on the requester's inbound path. */
    void request(ServerSession from, ServerConnection connection, SessionAccess access, MessageBody body) {
        String subject = body.subject();
        String reply = body.replyTo();
        if (reply == null) {
            from.denied(connection, "publish to '" + subject + "' refused: $SYS.api and $SYS.admin take requests "
                    + "only (a reply subject is needed)");
            return;
        }
        boolean admin = subject.startsWith(ADMIN_PREFIX);
        boolean allowed = admin ? access.mayAdminister(subject) : access.mayReadSystem();
        String principal = access.name();
        boolean mayClose = access.mayAdminister(CLOSE);
        byte[] payload = body.payload();
        try {
            executor.execute(() -> answer(from, reply, subject, payload, principal, allowed, mayClose));
        } catch (RejectedExecutionException e) {
            log.debug("{}: {} not answered: the server is stopping", from, subject);
        }
    }

    private void answer(ServerSession from, String reply, String subject, byte[] payload, String principal,
                        boolean allowed, boolean mayClose) {
        ObjectNode answer;
        try {
            answer = allowed ? answer(subject, payload, principal, mayClose) : error(403, "principal " + principal + " may not "
                    + (subject.startsWith(ADMIN_PREFIX) ? "publish to " + subject + " (it needs a $SYS.admin publish right)"
                            : "read $SYS (it needs the right to subscribe to " + StatsPublisher.SUBJECT + ")"));
        } catch (RuntimeException e) {
            log.warn("{}: answering {} failed", from, subject, e);
            answer = error(500, "the server could not answer: " + e);
        }
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(answer);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.replyInternal(from, reply, bytes);
    }

    private ObjectNode answer(String subject, byte[] payload, String principal, boolean mayClose) {
        if (subject.equals(HISTORY)) {
            ObjectNode ok = ok();
            ok.set("history", server.stats().history().toJson(server.config().limits().maxPayloadBytes() - 1024));
            return ok;
        }
        if (!subject.equals(SESSION) && !subject.equals(CLOSE)) {
            return error(404, "no such request: " + subject + " (known: " + HISTORY + ", " + SESSION + ", " + CLOSE + ")");
        }
        String id = sessionId(payload);
        if (id == null) {
            return error(400, subject + " takes a JSON object {\"id\": \"<session id>\"}");
        }
        ServerSession s = server.session(id);
        if (s == null) {
            return error(404, "no session " + id + " (it may have ended)");
        }
        if (subject.equals(CLOSE)) {
            log.info("{} closed by principal {} ({})", s, principal, CLOSE);
            s.closeByAdministrator("session closed by an administrator (principal " + principal + ")");
            return ok().put("closed", id);
        }
        ObjectNode ok = ok();
        ok.set("session", details(s));
        ok.put("mayClose", mayClose); // whether the requester may close it: the page shows the action only then
        return ok;
    }

    private ObjectNode details(ServerSession s) {
        long now = server.config().clock().nanoTime();
        StatsPublisher.SessionInfo i = s.info();
        SessionStats st = i.stats();
        ObjectNode o = JSON.createObjectNode();
        o.put("id", i.id());
        o.put("client", i.clientName());
        o.put("principal", s.principalName());
        o.put("state", i.state().name().toLowerCase(Locale.ROOT));
        o.put("remote", i.remoteAddress());
        o.put("transport", i.transport());
        o.put("ageSeconds", StatsPublisher.round((now - st.createdNanos) / 1e9));
        o.put("pendingBytes", i.pendingBytes());
        o.put("maxPendingBytes", server.config().maxPendingBytesPerConnection());
        o.put("resumes", st.resumes());
        o.put("messagesIn", st.messagesIn());
        o.put("messagesOut", st.messagesOut());
        o.put("bytesIn", st.bytesIn());
        o.put("bytesOut", st.bytesOut());
        double[] r = st.rates();
        ObjectNode rates = o.putObject("rates");
        rates.put("messagesInPerSecond", r[0]);
        rates.put("messagesOutPerSecond", r[1]);
        rates.put("bytesInPerSecond", r[2]);
        rates.put("bytesOutPerSecond", r[3]);
        o.put("errorCount", st.errorCount());
        ArrayNode errors = o.putArray("errors");
        for (RecentErrors.Entry e : st.errors()) {
            errors.addObject().put("time", e.timeMillis()).put("code", e.code()).put("name", e.name())
                    .put("message", e.message());
        }
        ArrayNode subs = o.putArray("subscriptions");
        for (SubscriptionInfo sub : s.outbound.subscriptionInfos()) {
            subs.addObject().put("id", sub.id()).put("pattern", sub.pattern()).put("queueGroup", sub.queueGroup())
                    .put("delivered", sub.delivered()).put("droppedSinceGap", sub.droppedSinceGap())
                    .put("disconnectWhenSlow", sub.disconnectWhenSlow());
        }
        return o;
    }

    private static String sessionId(byte[] payload) {
        if (payload.length == 0 || payload.length > MAX_REQUEST_BYTES) {
            return null;
        }
        try {
            JsonNode id = JSON.readTree(payload).get("id");
            return id != null && id.isTextual() ? id.asText() : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static ObjectNode ok() {
        return JSON.createObjectNode().put("status", 200);
    }

    private static ObjectNode error(int status, String message) {
        return JSON.createObjectNode().put("status", status).put("error", message);
    }
}
