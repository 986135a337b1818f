package dev.conduit.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

/** {@link SerialExecutor} over an executor that runs its tasks only when the test says so. */
class SerialExecutorTest {

    private static final class ManualExecutor implements Executor {
        final Queue<Runnable> tasks = new ArrayDeque<>();
        boolean rejecting;

        @Override
        public void execute(Runnable task) {
            if (rejecting) {
                throw new RejectedExecutionException("shut down");
            }
            tasks.add(task);
        }

        /** Runs one submitted task; what it throws reaches the caller, as it would a pool thread. */
        void runOne() {
            tasks.remove().run();
        }

        void runAll() {
            while (!tasks.isEmpty()) {
                runOne();
            }
        }
    }

    private final ManualExecutor delegate = new ManualExecutor();
    private final SerialExecutor serial = new SerialExecutor(delegate);
    private final List<String> ran = new ArrayList<>();

    @Test
    void tasksRunInOrderOneDrainAtATime() {
        for (int i = 0; i < 5; i++) {
            int n = i;
            serial.execute(() -> ran.add("t" + n));
        }
        assertThat(delegate.tasks).as("one drain for the lot").hasSize(1);
        delegate.runAll();
        assertThat(ran).containsExactly("t0", "t1", "t2", "t3", "t4");
    }

    @Test
    void aDrainRunsAtMost256TasksThenResubmitsItself() {
        for (int i = 0; i < 300; i++) {
            serial.execute(() -> ran.add("t"));
        }
        delegate.runOne();
        assertThat(ran).hasSize(256);
        assertThat(delegate.tasks).hasSize(1);
        delegate.runAll();
        assertThat(ran).hasSize(300);
    }

    @Test
    void aRuntimeExceptionIsLoggedAndTheNextTaskRunsInTheSameDrain() {
        serial.execute(() -> {
            throw new IllegalStateException("task failed on purpose");
        });
        serial.execute(() -> ran.add("after"));
        delegate.runOne();
        assertThat(ran).containsExactly("after");
        assertThat(delegate.tasks).isEmpty();
    }

    @Test
    void anErrorPropagatesButDoesNotWedgeTheExecutor() {
        serial.execute(() -> ran.add("before"));
        serial.execute(() -> {
            throw new AssertionError("error on purpose");
        });
        serial.execute(() -> ran.add("behind the error"));
        assertThatThrownBy(delegate::runOne).isInstanceOf(AssertionError.class).hasMessage("error on purpose");
        assertThat(ran).containsExactly("before");
        assertThat(delegate.tasks).as("the tasks behind the error get a drain of their own").hasSize(1);
        delegate.runAll();
        assertThat(ran).containsExactly("before", "behind the error");

        // And later tasks are still scheduled: 'scheduled' was reset.
        serial.execute(() -> ran.add("later"));
        assertThat(delegate.tasks).hasSize(1);
        delegate.runAll();
        assertThat(ran).containsExactly("before", "behind the error", "later");
    }

    @Test
    void anErrorAsTheLastTaskStillLeavesTheExecutorUsable() {
        serial.execute(() -> {
            throw new StackOverflowError("deep");
        });
        assertThatThrownBy(delegate::runOne).isInstanceOf(StackOverflowError.class);
        assertThat(delegate.tasks).isEmpty();
        serial.execute(() -> ran.add("next"));
        delegate.runAll();
        assertThat(ran).containsExactly("next");
    }

    @Test
    void aRejectingDelegateDropsTheTasksAndLaterSubmissionsTryAgain() {
        delegate.rejecting = true;
        serial.execute(() -> ran.add("dropped"));
        delegate.rejecting = false;
        serial.execute(() -> ran.add("kept"));
        delegate.runAll();
        assertThat(ran).containsExactly("kept");
    }
}
