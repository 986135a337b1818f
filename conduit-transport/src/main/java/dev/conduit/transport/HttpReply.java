package dev.conduit.transport;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * The answer to an {@link HttpCall}.
 *
 * @param status      HTTP status code
 * @param contentType the {@code Content-Type}, such as {@code text/plain; charset=utf-8}
 * @param body        the body (not sent for HEAD)
 * @param headers     further response headers, such as {@code Cache-Control}
 */
public record HttpReply(int status, String contentType, byte[] body, Map<String, String> headers) {
    public HttpReply {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status must be between 100 and 599: " + status);
        }
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
        headers = Map.copyOf(headers);
    }

    /** A UTF-8 text reply. */
    public static HttpReply text(int status, String contentType, String body) {
        return new HttpReply(status, contentType, body.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** 404 with a short plain-text body. */
    public static HttpReply notFound() {
        return text(404, "text/plain; charset=utf-8", "not found\n");
    }
}
