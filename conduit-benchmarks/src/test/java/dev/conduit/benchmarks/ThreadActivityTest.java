package dev.conduit.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The context switches {@code bench/profile.sh} reports, read from /proc (Linux only). */
@Timeout(30)
class ThreadActivityTest {

    @Test
    void countsTheWakeUpsOfAThreadByItsNameWithDigitsReplaced() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "needs Linux /proc");
        long pid = ProcessHandle.current().pid();
        ThreadActivity activity = new ThreadActivity(pid);
        CountDownLatch parked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread parker = new Thread(() -> {
            for (int i = 0; i < 50; i++) {
                // each timed park with no permit blocks the thread: one voluntary switch
                LockSupport.parkNanos(100_000);
            }
            parked.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "wake-test-7");
        parker.start();
        parked.await();
        activity.poll();
        release.countDown();
        parker.join();

        long[] counted = activity.totals().get("wake-test-N");
        assertThat(counted).as("the parking thread's group").isNotNull();
        assertThat(counted[0]).isGreaterThanOrEqualTo(50);
        assertThat(activity.totals().get("")[0]).isGreaterThanOrEqualTo(counted[0]);
        assertThat(activity.describe("test", 50, "park")).startsWith("test context switches per park: ")
                .contains(" wake-test-N ");
    }
}
