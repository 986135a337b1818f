package dev.conduit.transport;

import java.util.Map;
import java.util.Objects;

/**
 * One HTTP request, as an {@link HttpService} sees it. Request bodies are not read: the services
 * behind the HTTP port answer GET and HEAD only.
 *
 * @param method        upper-case method, {@code GET}
 * @param path          the decoded path, starting with {@code /}
 * @param query         the raw query without {@code ?}; empty if none
 * @param headers       header names in lower case, each with its first value
 * @param remoteAddress the peer, for logs
 */
public record HttpCall(String method, String path, String query, Map<String, String> headers,
                       String remoteAddress) {
    public HttpCall {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(query, "query");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(remoteAddress, "remoteAddress");
    }
}
