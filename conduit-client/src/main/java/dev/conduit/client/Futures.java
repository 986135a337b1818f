package dev.conduit.client;

import dev.conduit.protocol.ConduitException;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** Turns a future's failure back into the typed exception that caused it. */
final class Futures {
    private Futures() {
    }

    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionClosedException("interrupted while waiting", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ConduitException ce) {
                throw ce;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new ConduitException(String.valueOf(cause), false, Objects.requireNonNullElse(cause, e));
        } catch (CancellationException e) {
            throw new ConnectionClosedException("cancelled", e);
        }
    }
}
