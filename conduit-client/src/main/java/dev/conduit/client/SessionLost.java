package dev.conduit.client;

import dev.conduit.protocol.Headers;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a client reports when it reconnected but could not resume its session: why, and exactly
 * what the server had not confirmed. Subscriptions have already been made again on the new session;
 * messages published to them while the session was lost are not delivered.
 *
 * @param reason          why the session was not resumed, as the server or the client saw it
 * @param unconfirmed     publishes sent on the old session and not confirmed by the server: each may
 *                        or may not have been delivered (their futures failed with {@link
 *                        SessionLostException}); the application may publish them again
 * @param failedRequests  requests in flight that failed with {@link SessionLostException}
 * @param resentRequests  idempotent requests in flight that were sent again on the new session
 */
public record SessionLost(String reason, List<Unconfirmed> unconfirmed, int failedRequests, int resentRequests) {

    public SessionLost {
        unconfirmed = List.copyOf(unconfirmed);
    }

    /** One publish the server had not confirmed. */
    public record Unconfirmed(String subject, @Nullable String replyTo, Headers headers, byte[] payload) {
    }
}
