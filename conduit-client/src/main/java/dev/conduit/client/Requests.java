package dev.conduit.client;

import dev.conduit.protocol.Frame;
import dev.conduit.protocol.MessageBody;
import dev.conduit.transport.Connection;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The requests a client has in flight. All share one inbox subscription, {@code _INBOX.<token>.*},
 * made on first use; each request's reply subject is the inbox plus its own number, which is how a
 * reply or a NO_RESPONDERS frame finds its request. Many requests thus multiplex over one
 * connection with one subscription.
 *
 * <p>Futures complete on the client's executor, never on the I/O thread.
 */
final class Requests {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ConduitClient client;
    private final Executor executor;
    private final String inboxPrefix;
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong();
    /** The inbox subscription's id, 0 until the first request. Guarded by this for writes. */
    private volatile int inboxId;

    private record Pending(String subject, CompletableFuture<Message> future, Connection.Cancellable timer) {
    }

    Requests(ConduitClient client, Executor executor) {
        this.client = client;
        this.executor = executor;
        byte[] token = new byte[12];
        RANDOM.nextBytes(token);
        this.inboxPrefix = "_INBOX." + Base64.getUrlEncoder().withoutPadding().encodeToString(token) + ".";
    }

    CompletableFuture<Message> send(MessageBody request, Duration timeout) {
        ensureInbox();
        long id = nextId.incrementAndGet();
        MessageBody body = MessageBody.of(request.subject(), inboxPrefix + id, request.headers(), request.payload());
        CompletableFuture<Message> future = new CompletableFuture<>();
        Connection connection = client.connection();
        Connection.Cancellable timer = connection.schedule(() -> {
            Pending p = pending.remove(id);
            if (p != null) {
                executor.execute(() -> p.future.completeExceptionally(new RequestTimeoutException(p.subject, timeout)));
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        pending.put(id, new Pending(request.subject(), future, timer));
        try {
            client.send(new Frame.Publish(0, true, body));
        } catch (RuntimeException e) {
            pending.remove(id);
            timer.cancel();
            throw e;
        }
        return future;
    }

    private void ensureInbox() {
        if (inboxId != 0) {
            return;
        }
        synchronized (this) {
            if (inboxId == 0) {
                int id = client.nextSubscriptionId();
                client.send(new Frame.Subscribe(id, inboxPrefix + "*", null));
                inboxId = id;
            }
        }
    }

    /** On the I/O thread: completes the request a reply is for; false if it is not a reply. */
    boolean onMessage(Frame.Message message) {
        if (message.subscriptionId() != inboxId || inboxId == 0) {
            return false;
        }
        Pending p = take(message.body().subject());
        if (p != null) {
            ReceivedMessage reply = new ReceivedMessage(client, message.body());
            executor.execute(() -> p.future.complete(reply));
        }
        return true;
    }

    /** On the I/O thread: fails the request whose reply subject nobody could answer. */
    void onNoResponders(String replySubject) {
        Pending p = take(replySubject);
        if (p != null) {
            executor.execute(() -> p.future.completeExceptionally(new NoRespondersException(p.subject)));
        }
    }

    private Pending take(String replySubject) {
        if (!replySubject.startsWith(inboxPrefix)) {
            return null;
        }
        long id;
        try {
            id = Long.parseLong(replySubject.substring(inboxPrefix.length()));
        } catch (NumberFormatException e) {
            return null;
        }
        Pending p = pending.remove(id);
        if (p != null) {
            p.timer.cancel();
        }
        return p;
    }

    void failAll(RuntimeException failure) {
        for (Long id : List.copyOf(pending.keySet())) {
            Pending p = pending.remove(id);
            if (p != null) {
                p.timer.cancel();
                executor.execute(() -> p.future.completeExceptionally(failure));
            }
        }
    }

    /** Completes when every request now in flight has completed, however. */
    CompletableFuture<Void> allSettled() {
        return CompletableFuture.allOf(pending.values().stream()
                .map(p -> p.future.handle((m, e) -> null))
                .toArray(CompletableFuture[]::new));
    }
}
