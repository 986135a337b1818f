package dev.conduit.testkit;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.conduit.transport.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ManualClockTest {

    private final ManualClock clock = ManualClock.create();
    private final long start = clock.nanoTime();
    private final List<String> ran = new CopyOnWriteArrayList<>();

    /** A task that records its name and the clock's reading, in ms since the start, when it runs. */
    private Runnable record(String name) {
        return () -> ran.add(name + "@" + (clock.nanoTime() - start) / 1_000_000);
    }

    @Test
    void startsAtANonZeroReadingAndMovesOnlyWhenAdvanced() {
        assertThat(clock.nanoTime()).isNotZero();
        assertThat(clock.nanoTime()).isEqualTo(start);

        clock.advance(Duration.ofMillis(1500));

        assertThat(clock.nanoTime() - start).isEqualTo(1_500_000_000L);
        assertThat(clock.elapsed()).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void runsDueTasksInDueOrderWithTiesInSchedulingOrderEachAtItsDueTime() {
        clock.schedule(record("c"), 3, SECONDS);
        clock.schedule(record("a"), 1, SECONDS);
        clock.schedule(record("b1"), 2000, MILLISECONDS);
        clock.schedule(record("b2"), 2, SECONDS);
        clock.schedule(record("late"), 5, SECONDS);

        clock.advance(Duration.ofSeconds(4));

        assertThat(ran).containsExactly("a@1000", "b1@2000", "b2@2000", "c@3000");
        assertThat(clock.nanoTime() - start).isEqualTo(4_000_000_000L);
        assertThat(clock.pendingTasks()).isEqualTo(1);
        assertThat(clock.nextDueIn()).contains(Duration.ofSeconds(1));
    }

    @Test
    void aTaskDueExactlyAtTheEndOfTheWindowRuns() {
        clock.schedule(record("edge"), 2, SECONDS);

        clock.advance(Duration.ofMillis(1999));
        assertThat(ran).isEmpty();
        clock.advance(Duration.ofMillis(1));

        assertThat(ran).containsExactly("edge@2000");
        assertThat(clock.pendingTasks()).isZero();
        assertThat(clock.nextDueIn()).isEmpty();
    }

    @Test
    void aTaskDueNowRunsAtTheNextAdvanceNotWhenScheduled() {
        clock.schedule(record("now"), 0, SECONDS);
        clock.schedule(record("past"), -5, SECONDS);
        assertThat(ran).isEmpty();
        assertThat(clock.nextDueIn()).contains(Duration.ZERO);

        clock.advance(Duration.ZERO);

        assertThat(ran).containsExactly("now@0", "past@0");
    }

    @Test
    void tasksRunOnTheThreadThatAdvances() {
        List<Thread> threads = new ArrayList<>();
        clock.schedule(() -> threads.add(Thread.currentThread()), 1, SECONDS);

        clock.advance(Duration.ofSeconds(1));

        assertThat(threads).containsExactly(Thread.currentThread());
    }

    @Test
    void cancelledTasksNeverRun() {
        Connection.Cancellable a = clock.schedule(record("a"), 1, SECONDS);
        clock.schedule(record("b"), 2, SECONDS);
        a.cancel();
        a.cancel();

        assertThat(clock.pendingTasks()).isEqualTo(1);
        clock.advance(Duration.ofSeconds(10));

        assertThat(ran).containsExactly("b@2000");
    }

    @Test
    void aTaskCanCancelALaterTaskInTheSameWindow() {
        Connection.Cancellable[] later = new Connection.Cancellable[1];
        clock.schedule(() -> later[0].cancel(), 1, SECONDS);
        later[0] = clock.schedule(record("later"), 2, SECONDS);

        clock.advance(Duration.ofSeconds(3));

        assertThat(ran).isEmpty();
        assertThat(clock.pendingTasks()).isZero();
    }

    @Test
    void cancellingATaskThatHasRunDoesNothing() {
        Connection.Cancellable a = clock.schedule(record("a"), 1, SECONDS);
        clock.advance(Duration.ofSeconds(1));

        a.cancel();

        assertThat(ran).containsExactly("a@1000");
    }

    @Test
    void tasksScheduledByTasksRunInTheSameAdvanceIfDueWithinTheWindow() {
        clock.schedule(() -> {
            record("first").run();
            clock.schedule(record("chained"), 1, SECONDS);      // due at 2 s: inside the window
            clock.schedule(record("immediate"), 0, SECONDS);    // due at 1 s: runs next
            clock.schedule(record("beyond"), 10, SECONDS);      // due at 11 s: outside
        }, 1, SECONDS);
        clock.schedule(record("other"), 1500, MILLISECONDS);

        clock.advance(Duration.ofSeconds(3));

        assertThat(ran).containsExactly("first@1000", "immediate@1000", "other@1500", "chained@2000");
        assertThat(clock.nextDueIn()).contains(Duration.ofSeconds(8));
    }

    @Test
    void aRepeatingTaskRunsOncePerPeriodInTheWindow() {
        AtomicInteger runs = new AtomicInteger();
        Runnable[] tick = new Runnable[1];
        tick[0] = () -> {
            runs.incrementAndGet();
            clock.schedule(tick[0], 100, MILLISECONDS);
        };
        clock.schedule(tick[0], 100, MILLISECONDS);

        clock.advance(Duration.ofSeconds(1));

        assertThat(runs).hasValue(10);
    }

    @Test
    void advanceToMovesToAReadingAndRefusesToGoBack() {
        clock.schedule(record("a"), 2, SECONDS);

        clock.advanceTo(start + 2_000_000_000L);

        assertThat(ran).containsExactly("a@2000");
        assertThatThrownBy(() -> clock.advanceTo(start)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot go back in time");
        assertThatThrownBy(() -> clock.advance(Duration.ofNanos(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("duration must be >= 0: PT-0.000000001S");
    }

    @Test
    void aFailingTaskStopsTheAdvanceAtItsDueTime() {
        clock.schedule(() -> {
            throw new IllegalStateException("boom");
        }, 1, SECONDS);
        clock.schedule(record("after"), 2, SECONDS);

        assertThatThrownBy(() -> clock.advance(Duration.ofSeconds(5))).hasMessage("boom");

        assertThat(clock.elapsed()).isEqualTo(Duration.ofSeconds(1));
        assertThat(ran).isEmpty();
        clock.advance(Duration.ofSeconds(4));
        assertThat(ran).containsExactly("after@2000");
    }

    @Test
    void readingsWrapPastLongMaxValueLikeSystemNanoTime() {
        ManualClock wrapping = ManualClock.startingAt(Long.MAX_VALUE - 1_000_000_000L);
        long before = wrapping.nanoTime();
        List<Long> at = new ArrayList<>();
        wrapping.schedule(() -> at.add(wrapping.nanoTime()), 2, SECONDS);
        wrapping.schedule(() -> at.add(wrapping.nanoTime()), 500, MILLISECONDS);

        wrapping.advance(Duration.ofSeconds(3));

        assertThat(at).hasSize(2);
        assertThat(at.get(0) - before).isEqualTo(500_000_000L);
        assertThat(at.get(1) - before).isEqualTo(2_000_000_000L);
        assertThat(wrapping.nanoTime()).isNegative();
        assertThat(wrapping.nanoTime() - before).isEqualTo(3_000_000_000L);
    }

    @Test
    void scheduleAtRunsAtTheReadingGivenAndAPassedReadingIsDueNow() {
        clock.scheduleAt(record("at3"), start + 3_000_000_000L);
        clock.advance(Duration.ofSeconds(2));
        clock.scheduleAt(record("passed"), start + 1_000_000_000L);
        assertThat(clock.nextDueIn()).contains(Duration.ZERO);

        clock.advance(Duration.ZERO);
        assertThat(ran).containsExactly("passed@2000");
        clock.advance(Duration.ofSeconds(5));
        assertThat(ran).containsExactly("passed@2000", "at3@3000");
    }

    @Test
    void aDeadlineFromAReadingTakenMidAdvanceKeepsItsTimeOnlyWithScheduleAt() {
        // A task reads the clock at 1 s; the deadline 10 s after that reading is armed only once the
        // advance has reached 10 s, as a thread handed the reading mid-advance may do.
        long[] seen = new long[1];
        clock.schedule(() -> seen[0] = clock.nanoTime(), 1, SECONDS);
        clock.advance(Duration.ofSeconds(10));
        long deadline = seen[0] + 10_000_000_000L;

        clock.scheduleAt(record("absolute"), deadline);
        clock.schedule(record("relative"), deadline - seen[0], java.util.concurrent.TimeUnit.NANOSECONDS);
        clock.advance(Duration.ofSeconds(1));

        assertThat(ran).containsExactly("absolute@11000"); // the relative one is due at 20 s
    }

    @Test
    void tasksScheduledAndCancelledFromOtherThreadsWhileAdvancing() throws Exception {
        int threads = 4;
        int perThread = 2_000;
        Map<Integer, Long> runAt = new ConcurrentHashMap<>();
        Map<Integer, Long> earliest = new ConcurrentHashMap<>();
        List<Long> runOrder = new CopyOnWriteArrayList<>();
        AtomicInteger cancelledRuns = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> schedulers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                schedulers.add(pool.submit(() -> {
                    Random random = new Random(thread);
                    go.await();
                    for (int i = 0; i < perThread; i++) {
                        int id = thread * perThread + i;
                        if (i % 2 == 0) {
                            long delayMillis = random.nextInt(1000);
                            earliest.put(id, clock.nanoTime() + delayMillis * 1_000_000);
                            clock.schedule(() -> {
                                long now = clock.nanoTime();
                                runOrder.add(now);
                                if (runAt.putIfAbsent(id, now) != null) {
                                    throw new AssertionError("task " + id + " ran twice");
                                }
                            }, delayMillis, MILLISECONDS);
                        } else {
                            // Due long after anything the advancing thread reaches before the cancel.
                            Connection.Cancellable c = clock.schedule(cancelledRuns::incrementAndGet, 1, java.util.concurrent.TimeUnit.DAYS);
                            c.cancel();
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            while (!schedulers.stream().allMatch(Future::isDone)) {
                clock.advance(Duration.ofMillis(7));
            }
            for (Future<?> f : schedulers) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        clock.advance(Duration.ofDays(2));

        assertThat(runAt).hasSize(threads * perThread / 2);
        assertThat(cancelledRuns).hasValue(0);
        assertThat(clock.pendingTasks()).isZero();
        assertThat(runOrder).isSorted();
        runAt.forEach((id, at) -> assertThat(at - earliest.get(id)).as("task %d ran early", id).isNotNegative());
    }
}
