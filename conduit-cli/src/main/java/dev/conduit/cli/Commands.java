package dev.conduit.cli;

import dev.conduit.protocol.ConduitException;
import dev.conduit.protocol.Subjects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** Small pieces the commands share. */
final class Commands {
    private Commands() {
    }

    /*
     * Syntax checks made before connecting, so that a bad argument is reported as one (exit 2)
     * whether or not a server is reachable. Sizes are left to the client, which checks them against
     * the limits the server announces.
     */

    static String checkSubject(String subject) {
        return Subjects.checkSubject(subject, Integer.MAX_VALUE);
    }

    static String checkPattern(String pattern) {
        return Subjects.checkPattern(pattern, Integer.MAX_VALUE);
    }

    /** Checks a queue group name; {@code null} (no group) passes. */
    static String checkQueueGroup(String group) {
        return group == null ? null : Subjects.checkQueueGroup(group, Integer.MAX_VALUE);
    }

    /**
     * Throws the server's denial of a subscription, if there was one. Call it once the client's
     * flush has confirmed the subscription: a denied one has been ended by then (the server's 403
     * comes before its acknowledgement), and the watcher hears the denial's text shortly after.
     */
    static void checkNotDenied(dev.conduit.client.Subscription s, ClientWatcher watcher) throws InterruptedException {
        if (!s.isActive()) {
            dev.conduit.client.ServerErrorException denial = watcher.denial(java.time.Duration.ofSeconds(10));
            throw new DeniedException(denial != null ? denial.getMessage()
                    : "the server ended the subscription to '" + s.pattern() + "'");
        }
    }

    /** The server's permissions refused something the command asked for: exit 1, one line naming it. */
    static final class DeniedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DeniedException(String serverMessage) {
            super("denied: " + serverMessage.replaceFirst("^server error 403: ", ""));
        }
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
