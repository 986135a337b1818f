package dev.conduit.transport;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Limits of an HTTP listener ({@link Transport#listenHttp}) before a connection has upgraded to a
 * WebSocket link, against slow and hostile peers (slow-loris, slow read, DNS rebinding).
 *
 * @param requestDeadline        one absolute deadline, from accept (or from the moment the last
 *                               response was fully written, on a kept-alive connection) until the
 *                               next request has arrived and its response has been fully written,
 *                               or the WebSocket upgrade is done. It covers the TLS handshake, the
 *                               request line, the headers and the upgrade, and sending the response:
 *                               bytes that trickle in or out do not extend it. Past it the
 *                               connection is closed
 * @param maxQueuedResponseBytes responses written but not yet taken by the peer: a request that
 *                               arrives while more than this is queued (the peer pipelines requests
 *                               and does not read the answers) closes the connection, so that one
 *                               connection holds at most this plus one response
 * @param allowedHosts           the host names and addresses the port answers to (the host part of
 *                               the {@code Host} header, without port, compared ignoring case), or
 *                               the single entry {@code *} for any. A request naming another host
 *                               gets 403 before anything else happens (DNS rebinding); a request
 *                               without {@code Host} (not from a browser) is served. WebSocket
 *                               Origins of the same host are allowed only if that host is listed
 * @param gate                   admits each accepted socket (connection limits)
 */
public record HttpPortOptions(Duration requestDeadline, int maxQueuedResponseBytes, List<String> allowedHosts,
                              AcceptGate gate) {
    /** Loopback names and addresses, as {@link #DEFAULT} allows. */
    public static final List<String> LOOPBACK_HOSTS = List.of("localhost", "127.0.0.1", "::1");

    /** 10 s, 256 KiB, loopback hosts only, every socket admitted. */
    public static final HttpPortOptions DEFAULT = new HttpPortOptions(Duration.ofSeconds(10), 256 * 1024,
            LOOPBACK_HOSTS, AcceptGate.OPEN);

    public HttpPortOptions {
        Objects.requireNonNull(requestDeadline, "requestDeadline");
        if (requestDeadline.isNegative() || requestDeadline.isZero()) {
            throw new IllegalArgumentException("requestDeadline must be > 0: " + requestDeadline);
        }
        if (maxQueuedResponseBytes < 1) {
            throw new IllegalArgumentException("maxQueuedResponseBytes must be > 0: " + maxQueuedResponseBytes);
        }
        allowedHosts = List.copyOf(allowedHosts);
        if (allowedHosts.isEmpty()) {
            throw new IllegalArgumentException("allowedHosts must name at least one host, or be *");
        }
        if (allowedHosts.contains("*") && allowedHosts.size() > 1) {
            throw new IllegalArgumentException("allowed hosts: '*' allows every host and must stand alone: "
                    + allowedHosts);
        }
        for (String h : allowedHosts) {
            if (h.isBlank() || h.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@')) {
                throw new IllegalArgumentException("not a host name or address: '" + h + "'");
            }
        }
        Objects.requireNonNull(gate, "gate");
    }

    /** These options with another gate. */
    public HttpPortOptions withGate(AcceptGate gate) {
        return new HttpPortOptions(requestDeadline, maxQueuedResponseBytes, allowedHosts, gate);
    }
}
