package dev.conduit.server;

/**
 * The server's hard limits against a hostile or broken peer, beyond the wire limits of {@link
 * dev.conduit.protocol.ProtocolLimits}: how many connections it holds, how many subscriptions one
 * session may make, how deep a subject may be, and how fast one session may publish. Each, when hit,
 * produces its own error code and one log line naming the peer, and affects no other session (see
 * docs/security.md, "Limits").
 *
 * @param maxConnections            connections held at once, network and in-process; one more is
 *                                  sent {@code ERROR 433} and closed before any session is made
 * @param maxConnectionsPerAddress  connections held at once from one remote IP address; one more is
 *                                  sent {@code ERROR 434} and closed (in-process connections have no
 *                                  address and are not counted here)
 * @param maxSubscriptionsPerSession active subscriptions of one session; a SUBSCRIBE beyond it is
 *                                  answered with a non-fatal {@code ERROR 432} and not registered
 * @param maxSubjectTokens          tokens (parts between dots) of a published subject, reply subject
 *                                  or pattern; more is a non-fatal {@code ERROR 422}, and the frame is
 *                                  dropped
 * @param maxMessagesPerSecond      sustained rate of PUBLISH, SUBSCRIBE and UNSUBSCRIBE frames one
 *                                  session may send, with a burst of one second's worth; 0 turns the
 *                                  message rate off. Over it the server reads from the session more
 *                                  slowly and tells it once with a non-fatal {@code ERROR 420}
 * @param maxBytesPerSecond         sustained rate of published message bytes (subject, reply subject,
 *                                  headers and payload as encoded) of one session, with a burst of one
 *                                  second's worth; 0 turns it off. A frame larger than the burst is
 *                                  let through and paid for by a longer pause
 */
public record PeerLimits(int maxConnections, int maxConnectionsPerAddress, int maxSubscriptionsPerSession,
                         int maxSubjectTokens, long maxMessagesPerSecond, long maxBytesPerSecond) {

    /**
     * 10,000 connections (half of the 20,000 open files a process is given here: the rest is room
     * for refused connections while they close, files and the event loops' own descriptors), 1,000
     * per address (one host, or one NAT, can hold a tenth of the server), 10,000 subscriptions per
     * session, 32 subject tokens, and no rate limit (see {@link ServerConfig.Builder#maxMessagesPerSecond}).
     */
    public static final PeerLimits DEFAULT = new PeerLimits(10_000, 1_000, 10_000, 32, 0, 0);

    public PeerLimits {
        atLeast(maxConnections, 1, "maxConnections");
        atLeast(maxConnectionsPerAddress, 1, "maxConnectionsPerAddress");
        atLeast(maxSubscriptionsPerSession, 1, "maxSubscriptionsPerSession");
        if (maxSubjectTokens < 1 || maxSubjectTokens > 0xFFFF) {
            throw new IllegalArgumentException("maxSubjectTokens must be between 1 and 65535: " + maxSubjectTokens);
        }
        atLeast(maxMessagesPerSecond, 0, "maxMessagesPerSecond");
        atLeast(maxBytesPerSecond, 0, "maxBytesPerSecond");
    }

    private static void atLeast(long value, long min, String name) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + ": " + value);
        }
    }

    /** Whether either rate is limited. */
    public boolean rateLimited() {
        return maxMessagesPerSecond > 0 || maxBytesPerSecond > 0;
    }
}
