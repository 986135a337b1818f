package dev.conduit.cli;

import dev.conduit.protocol.ConduitException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** Small pieces the commands share. */
final class Commands {
    private Commands() {
    }

    /** Waits for a future and rethrows its failure as the typed exception that caused it. */
    static <T> T await(CompletableFuture<T> future) throws InterruptedException {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ConduitException ce) {
                throw ce;
            }
            throw new IllegalStateException(e.getCause());
        }
    }
}
