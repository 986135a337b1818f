package dev.conduit.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A task the client's executor refuses still runs, off the calling thread: no completion is lost. */
class RejectionSafeExecutorTest {
    @Test
    void aTaskRejectedByAShutDownExecutorStillCompletesItsFutureOnAVirtualThread() throws Exception {
        ExecutorService user = Executors.newSingleThreadExecutor();
        user.shutdown();
        CompletableFuture<Thread> ranOn = new CompletableFuture<>();
        RejectionSafeExecutor.wrap(user).execute(() -> ranOn.complete(Thread.currentThread()));
        Thread t = ranOn.get(30, TimeUnit.SECONDS);
        assertThat(t.isVirtual()).isTrue();
        assertThat(t).isNotSameAs(Thread.currentThread());
    }

    @Test
    void tasksTheExecutorAcceptsRunThere() throws Exception {
        ExecutorService user = Executors.newSingleThreadExecutor(r -> new Thread(r, "user"));
        try {
            CompletableFuture<String> ranOn = new CompletableFuture<>();
            RejectionSafeExecutor.wrap(user).execute(() -> ranOn.complete(Thread.currentThread().getName()));
            assertThat(ranOn.get(30, TimeUnit.SECONDS)).isEqualTo("user");
        } finally {
            user.shutdownNow();
        }
    }
}
