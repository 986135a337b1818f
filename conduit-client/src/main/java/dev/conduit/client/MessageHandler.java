package dev.conduit.client;

/**
 * Receives the messages of one subscription, one at a time and in order, on the client's executor.
 * An exception it throws is reported to {@link ClientListener#onHandlerFailure} and does not end the
 * subscription.
 */
@FunctionalInterface
public interface MessageHandler {
    void onMessage(Message message) throws Exception;
}
