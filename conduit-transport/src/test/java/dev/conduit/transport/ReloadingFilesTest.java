package dev.conduit.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ReloadingFiles}: a value is built again only when a file's contents change, a value that
 * fails to build keeps the last good one, and the periodic check is timed by the injected clock and
 * runs on the given executor (here the test's own thread), every interval, until closed.
 */
class ReloadingFilesTest {
    @TempDir
    Path dir;

    /** A clock whose tasks run when the test advances it, on the test's thread. */
    private static final class StepClock implements Clock {
        private record Task(long due, long seq, Runnable run, boolean[] cancelled) implements Comparable<Task> {
            @Override
            public int compareTo(Task o) {
                return due != o.due ? Long.compare(due, o.due) : Long.compare(seq, o.seq);
            }
        }

        private final PriorityQueue<Task> tasks = new PriorityQueue<>();
        private long now = 1_000_000_000L;
        private long seq;

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public Connection.Cancellable schedule(Runnable task, long delay, TimeUnit unit) {
            boolean[] cancelled = {false};
            tasks.add(new Task(now + unit.toNanos(delay), seq++, task, cancelled));
            return () -> cancelled[0] = true;
        }

        void advance(Duration d) {
            long until = now + d.toNanos();
            while (!tasks.isEmpty() && tasks.peek().due() <= until) {
                Task t = tasks.poll();
                now = t.due();
                if (!t.cancelled()[0]) {
                    t.run().run();
                }
            }
            now = until;
        }

        int pending() {
            return (int) tasks.stream().filter(t -> !t.cancelled()[0]).count();
        }
    }

    private static int parse(Path file) {
        try {
            return Integer.parseInt(Files.readString(file).trim());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aValueIsRebuiltOnlyWhenTheContentsChangeAndOnlyIntoOneThatBuilds() throws Exception {
        Path file = Files.writeString(dir.resolve("n"), "1");
        AtomicInteger loads = new AtomicInteger();
        ReloadingFiles<Integer> files = new ReloadingFiles<>("number file", List.of(file), () -> {
            loads.incrementAndGet();
            return parse(file);
        });
        assertThat(files.current()).isEqualTo(1);
        assertThat(files.reloadIfChanged()).isFalse();
        Files.writeString(file, "1"); // rewritten, same contents
        assertThat(files.reloadIfChanged()).isFalse();
        assertThat(loads).hasValue(1);

        Files.writeString(file, "two");
        assertThat(files.reloadIfChanged()).isFalse();
        assertThat(files.current()).as("the last good value").isEqualTo(1);
        assertThat(files.reloadIfChanged()).as("the same bad contents are not tried again").isFalse();
        assertThat(loads).hasValue(2);

        Files.writeString(file, "3");
        assertThat(files.reloadIfChanged()).isTrue();
        assertThat(files.current()).isEqualTo(3);

        Files.delete(file);
        assertThat(files.reloadIfChanged()).isFalse();
        assertThat(files.current()).isEqualTo(3);
    }

    @Test
    void theFirstLoadFailsAtOnce() {
        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> new ReloadingFiles<>("number file", List.of(missing), () -> parse(missing)))
                .isInstanceOf(java.io.UncheckedIOException.class);
    }

    @Test
    void checksRunEveryIntervalOfTheClockOnTheExecutorUntilClosed() throws Exception {
        Path file = Files.writeString(dir.resolve("n"), "1");
        ReloadingFiles<Integer> files = new ReloadingFiles<>("number file", List.of(file), () -> parse(file));
        StepClock clock = new StepClock();
        List<Integer> seen = new ArrayList<>();
        List<Runnable> handed = new ArrayList<>();
        files.checkEvery(Duration.ofSeconds(10), clock, handed::add, seen::add);
        assertThatThrownBy(() -> files.checkEvery(Duration.ofSeconds(10), clock, Runnable::run, x -> { }))
                .isInstanceOf(IllegalStateException.class);

        Files.writeString(file, "2");
        clock.advance(Duration.ofSeconds(9));
        assertThat(handed).as("not due yet").isEmpty();
        clock.advance(Duration.ofSeconds(1));
        assertThat(handed).as("the clock only hands the check over").hasSize(1);
        assertThat(files.current()).isEqualTo(1);
        handed.removeFirst().run(); // the executor runs it
        assertThat(files.current()).isEqualTo(2);
        assertThat(seen).containsExactly(2);

        clock.advance(Duration.ofSeconds(10));
        handed.removeFirst().run();
        assertThat(seen).as("called after every check, changed or not").containsExactly(2, 2);

        files.close();
        assertThat(clock.pending()).isZero();
        clock.advance(Duration.ofSeconds(60));
        assertThat(handed).isEmpty();
    }

    @Test
    void aZeroIntervalNeverChecks() throws Exception {
        Path file = Files.writeString(dir.resolve("n"), "1");
        ReloadingFiles<Integer> files = new ReloadingFiles<>("number file", List.of(file), () -> parse(file));
        StepClock clock = new StepClock();
        files.checkEvery(Duration.ZERO, clock, Runnable::run, x -> { });
        assertThat(clock.pending()).isZero();
    }
}
