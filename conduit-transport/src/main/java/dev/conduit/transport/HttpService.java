package dev.conduit.transport;

/**
 * Answers the plain HTTP requests that reach a server's HTTP port (everything but the WebSocket
 * upgrade at the Conduit path): the admin endpoints, the dashboard and the browser client.
 *
 * <p>Called on an I/O thread: it must answer at once, from what it already has, and never block.
 */
@FunctionalInterface
public interface HttpService {

    /** The answer to one request; never null (answer 404 for what it does not serve). */
    HttpReply handle(HttpCall call);
}
