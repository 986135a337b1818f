package dev.conduit.client;

/**
 * The handler given for a pull subscription ({@link Client#subscribe(String)}): {@link
 * ClientSubscription} recognises it and queues the messages for {@link Subscription#next} instead of
 * calling a handler, so it is never called.
 */
final class PullHandler implements MessageHandler {
    static final PullHandler INSTANCE = new PullHandler();

    private PullHandler() {
    }

    @Override
    public void onMessage(Message message) {
        throw new IllegalStateException("a pull subscription's messages are taken with Subscription.next");
    }
}
