package dev.conduit.client;

import dev.conduit.protocol.ProtocolLimits;

/**
 * What the server announced in its handshake.
 *
 * @param serverId  the server's id, unique per server incarnation
 * @param sessionId the id of this client's session
 * @param version   the protocol version both sides speak
 * @param limits    the sizes this client must stay within
 */
public record ServerInfo(String serverId, String sessionId, int version, ProtocolLimits limits) {
}
